using Csto.EventLog.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Csto.Security.Tests;

/// <summary>The repository's development key is accepted only where it is meant to be.</summary>
public sealed class DevelopmentKeyTests
{
    sealed class Env(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "test";

        public string ContentRootPath { get; set; } = "/";

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    static IConfiguration Config(params (string Key, string Value)[] pairs) =>
        new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value))).Build();

    [Fact]
    public void Production_without_a_key_or_an_authority_refuses_to_start() =>
        Assert.Throws<InvalidOperationException>(() => SecurityHosting.DevelopmentSigning(Config(), new Env("Production"), "csto"));

    [Fact]
    public void Development_uses_the_development_key() =>
        Assert.Equal(SigningSettings.DevelopmentKey, SecurityHosting.DevelopmentSigning(Config(), new Env("Development"), "csto").Key);

    [Theory]
    [InlineData("Security:AllowDevelopmentKey", "true", "Security:AllowDevelopmentKey is no longer honoured")]
    [InlineData("Security:SigningKey", SigningSettings.DevelopmentKey, "is the repository's development key")]
    [InlineData("CSTO_SIGNING_KEY", SigningSettings.DevelopmentKey, "is the repository's development key")]
    [InlineData("CSTO_SIGNING_KEY", "short", "CSTO_SIGNING_KEY must be at least 32 bytes")]
    public void Outside_development_the_development_key_is_refused_whichever_way_it_is_given(string setting, string value, string named)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => SecurityHosting.DevelopmentSigning(Config((setting, value)), new Env("Production"), "csto"));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Production_without_a_key_names_the_settings_that_would_give_one()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => SecurityHosting.DevelopmentSigning(Config(), new Env("Production"), "csto"));
        Assert.Contains("Security:SigningKey or CSTO_SIGNING_KEY", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Security:Authority", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tool_finds_the_deployment_s_key_in_the_variable_else_in_the_data_folder_s_key_file()
    {
        var dir = Directory.CreateTempSubdirectory("csto-key-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, SigningSettings.KeyFileName), "generated-0123456789abcdef0123456789abcdef\n");
            var env = new Dictionary<string, string?> { ["CSTO_DATA"] = dir.FullName };
            Assert.Equal("generated-0123456789abcdef0123456789abcdef", SigningSettings.FindKey(n => env.GetValueOrDefault(n)));
            env["CSTO_SIGNING_KEY"] = "from-the-variable-0123456789abcdef0123";
            Assert.Equal("from-the-variable-0123456789abcdef0123", SigningSettings.FindKey(n => env.GetValueOrDefault(n)));
            Assert.Null(SigningSettings.FindKey(n => n == "CSTO_DATA" ? Path.Combine(dir.FullName, "none") : null));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_configured_key_issuer_and_audience_win()
    {
        var signing = SecurityHosting.DevelopmentSigning(Config(("Security:SigningKey", "k-0123456789abcdef0123456789abcdef"), ("Security:Issuer", "me")), new Env("Development"), "aud");
        Assert.Equal(new SigningSettings("k-0123456789abcdef0123456789abcdef", "me", "aud"), signing);
    }

    [Fact]
    public void A_short_key_is_refused() =>
        Assert.Throws<InvalidOperationException>(() => new SigningSettings("short").SecurityKey());
}
