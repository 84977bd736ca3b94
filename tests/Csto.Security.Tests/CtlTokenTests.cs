using Csto.Ctl;
using Csto.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit;

namespace Csto.Security.Tests;

/// <summary>cstoctl token issue, and --token on a command.</summary>
public sealed class CtlTokenTests(SecureSuite suite) : IClassFixture<SecureSuite>
{
    static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Cli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString().Trim(), stderr.ToString());
    }

    [Fact]
    public async Task Token_issue_signs_the_role_and_state_with_the_development_key_when_no_key_is_set()
    {
        Assert.Null(Environment.GetEnvironmentVariable(SigningSettings.KeyVariable));
        var (code, jwt, error) = await RunAsync("token", "issue", "--role", "delegate", "--state", "kaz", "--ttl", "30m");

        Assert.Equal(0, code);
        Assert.Contains("DEVELOPMENT key", error, StringComparison.Ordinal);
        var signing = new SigningSettings(SigningSettings.DevelopmentKey);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = signing.Issuer,
            ValidAudience = signing.Audience,
            IssuerSigningKey = signing.SecurityKey(),
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("delegate", result.Claims[Claims.Role]);
        Assert.Equal("KAZ", result.Claims[Claims.State]);
        var token = (JsonWebToken)result.SecurityToken;
        Assert.InRange(token.ValidTo - token.ValidFrom, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(31));
    }

    [Theory]
    [InlineData("delegate")]
    [InlineData("nobody")]
    public async Task Token_issue_refuses_a_delegate_without_a_state_and_an_unknown_role(string role)
    {
        var (code, _, error) = await RunAsync("token", "issue", "--role", role);
        Assert.Equal(2, code);
        Assert.Contains("--", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_uses_the_token_flag_and_without_a_token_says_how_to_get_one()
    {
        var url = suite["membership"].Address;
        var (code, output, _) = await RunAsync("log", "stats", "--service", "membership", "--membership-url", url, "--token", TestTokens.For(Roles.Reader));
        Assert.Equal(0, code);
        Assert.Contains("membership", output, StringComparison.Ordinal);

        var (refused, _, error) = await RunAsync("log", "stats", "--service", "membership", "--membership-url", url);
        Assert.NotEqual(0, refused);
        Assert.Contains("Unauthenticated", error, StringComparison.Ordinal);
        Assert.Contains("cstoctl token issue", error, StringComparison.Ordinal);
    }
}
