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

    [Fact]
    public void Production_uses_the_development_key_only_when_explicitly_allowed() =>
        Assert.Equal(SigningSettings.DevelopmentKey, SecurityHosting.DevelopmentSigning(Config(("Security:AllowDevelopmentKey", "true")), new Env("Production"), "csto").Key);

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
