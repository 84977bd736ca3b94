using System.Security.Claims;
using Csto.EventLog.Security;
using Csto.Security;
using Csto.Testing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Xunit;

namespace Csto.Security.Tests;

/// <summary>How long a validated token is accepted from memory: never past its own expiry, never more than five minutes.</summary>
public sealed class ValidatedTokensTests
{
    sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    static readonly AuthenticationScheme Scheme = new(JwtBearerDefaults.AuthenticationScheme, null, typeof(JwtBearerHandler));

    static HttpContext Call(string token)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers.Authorization = "Bearer " + token;
        return http;
    }

    static async Task ValidateAsync(ValidatedTokens tokens, string token) =>
        await tokens.OnTokenValidated(new TokenValidatedContext(Call(token), Scheme, new JwtBearerOptions())
        {
            Principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "someone")], "Bearer")),
            SecurityToken = new JsonWebToken(token),
        });

    static async Task<bool> AcceptedFromMemoryAsync(ValidatedTokens tokens, string token)
    {
        var context = new MessageReceivedContext(Call(token), Scheme, new JwtBearerOptions());
        await tokens.OnMessageReceived(context);
        return context.Result?.Succeeded == true && context.Result.Principal?.FindFirst("sub")?.Value == "someone";
    }

    [Fact]
    public async Task A_validated_token_is_accepted_from_memory_for_five_minutes_at_most()
    {
        var clock = new Clock(DateTimeOffset.UtcNow);
        var tokens = new ValidatedTokens(clock);
        var token = TokenIssuer.Issue(TestTokens.Signing, "someone", Roles.Reader, null, TimeSpan.FromHours(1));
        Assert.False(await AcceptedFromMemoryAsync(tokens, token)); // never validated: the handler validates it

        await ValidateAsync(tokens, token);
        clock.Now += TimeSpan.FromMinutes(4);
        Assert.True(await AcceptedFromMemoryAsync(tokens, token));

        clock.Now += TimeSpan.FromMinutes(2);
        Assert.False(await AcceptedFromMemoryAsync(tokens, token));
        Assert.False(tokens.Holds(token));
    }

    [Fact]
    public async Task A_validated_token_is_never_accepted_from_memory_past_its_own_expiry()
    {
        var clock = new Clock(DateTimeOffset.UtcNow);
        var tokens = new ValidatedTokens(clock);
        var token = TokenIssuer.Issue(TestTokens.Signing, "someone", Roles.Reader, null, TimeSpan.FromMinutes(1));

        await ValidateAsync(tokens, token);
        Assert.True(await AcceptedFromMemoryAsync(tokens, token));
        clock.Now += TimeSpan.FromSeconds(61);

        Assert.False(await AcceptedFromMemoryAsync(tokens, token));
        Assert.False(await AcceptedFromMemoryAsync(tokens, "Bearer-less garbage"));
    }
}
