using System.Collections.Concurrent;
using System.Security.Claims;
using Csto.EventLog.V1;
using Csto.Security;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;

namespace Csto.Console;

/// <summary>What the login made of a pasted token: the user and the session's properties (the token inside), or why not.</summary>
public sealed record LoginCheck(ClaimsPrincipal? User, AuthenticationProperties? Properties, string? Error);

/// <summary>
/// Signing in with a bearer token pasted once (issue 28). The membership service checks the token; the cookie keeps it,
/// encrypted by data protection (<see cref="ConsoleKeys"/>), until the token expires or the user signs out, and every call
/// the console makes for the user carries it (<see cref="Suite"/>). Every page but the login needs a signed-in user.
/// </summary>
public static partial class ConsoleLogin
{
    public const string CookieName = "csto-console";
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;
    const string TokenName = "access_token";

    /// <summary>One id per sign-in, so that signing out ends that session even though its cookie is not stored on the server.</summary>
    const string SessionClaim = "csto_console_session";

    /// <summary>The longest token accepted; a token of cstoctl is about 300 characters.</summary>
    const int MaxTokenLength = 8192;

    public static void Add(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<SignedOutSessions>();
        ConsoleKeys.Add(builder);
        builder.Services.AddAuthentication(Scheme).AddCookie(o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/login";
            o.LogoutPath = "/logout";
            o.ReturnUrlParameter = "returnUrl";
            // the session ends when its token does (AuthenticationProperties.ExpiresUtc), never later
            o.SlidingExpiration = false;
            o.Events.OnValidatePrincipal = RejectSignedOutAsync;
            o.Events.OnRedirectToLogin = c =>
            {
                // a request that brought a cookie the console no longer takes: its session ended (the token expired, or signed out)
                var uri = c.Request.Cookies.ContainsKey(CookieName) ? c.RedirectUri + (c.RedirectUri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "session=ended" : c.RedirectUri;
                c.Response.Redirect(uri);
                return Task.CompletedTask;
            };
        });
        builder.Services.AddAuthorizationBuilder().SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = CookieName + "-antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
    }

    /// <summary>The signed-in user's token, or null (no user, or a request outside one).</summary>
    public static string? TokenOf(HttpContext? context) =>
        context?.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Properties?.GetTokenValue(TokenName);

    /// <summary>
    /// Checks a pasted token for real: the membership service must accept it (GetLogInfo, which every role may call); then
    /// its subject, roles and expiry become the session. Nothing of a refused token is kept.
    /// </summary>
    public static async Task<LoginCheck> CheckAsync(Suite suite, string? pasted, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var token = (pasted ?? "").Trim();
        if (token.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = token[7..].Trim();
        }

        if (Malformed(token) is { } malformed)
        {
            return new LoginCheck(null, null, malformed);
        }

        const string service = "membership";
        try
        {
            await suite.EventLogWith(service, token).GetLogInfoAsync(new GetLogInfoRequest(), deadline: suite.Deadline);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied)
        {
            return new LoginCheck(null, null, $"the {service} service refused this token: {ex.Status.Detail}");
        }
        catch (RpcException ex)
        {
            return new LoginCheck(null, null, $"the {service} service ({suite.Address(service)}) could not check this token: {ex.StatusCode}: {ex.Status.Detail}; try again when it answers");
        }
        catch (HttpRequestException ex)
        {
            return new LoginCheck(null, null, $"the {service} service ({suite.Address(service)}) could not check this token: {ex.Message}; try again when it answers");
        }

        var contents = TokenContents.Read(token);
        var problem = contents switch
        {
            null => $"the {service} service accepted this token, but it is not a JWT the console can read",
            { Expires: null } => "the token has no expiry (exp): the console keeps no session without an end",
            { Expires: { } exp } when exp <= now => $"the token expired at {exp:u}",
            { Subject.Length: 0 } => "the token names no subject (sub)",
            { Roles.Count: 0 } => "the token carries no role (role)",
            _ => null,
        };
        if (problem is not null)
        {
            return new LoginCheck(null, null, problem);
        }

        var claims = new List<Claim> { new(Claims.Subject, contents!.Subject), new(SessionClaim, Guid.NewGuid().ToString("N")) };
        claims.AddRange(contents.Roles.Select(r => new Claim(Claims.Role, r)));
        if (contents.State.Length > 0)
        {
            claims.Add(new Claim(Claims.State, contents.State));
        }

        var user = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, Claims.Subject, Claims.Role));
        // a session cookie (gone with the browser) whose ticket ends with the token
        var properties = new AuthenticationProperties { ExpiresUtc = contents.Expires, IsPersistent = false, AllowRefresh = false };
        properties.StoreTokens([new AuthenticationToken { Name = TokenName, Value = token }]);
        return new LoginCheck(user, properties, null);
    }

    /// <summary>Why <paramref name="token"/> cannot be a token at all (never echoing it), or null.</summary>
    static string? Malformed(string token)
    {
        if (token.Length == 0)
        {
            return "no token: paste the one that cstoctl token issue --role reader prints";
        }

        if (token.Length > MaxTokenLength)
        {
            return $"the token is {token.Length} characters long, more than {MaxTokenLength}: a token of cstoctl has a few hundred";
        }

        var bad = token.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '='));
        return bad == default
            ? null
            : $"a token is one line of letters, digits and . - _ (a JWT); this one has {(char.IsWhiteSpace(bad) || char.IsControl(bad) ? $"U+{(int)bad:X4}" : $"'{bad}'")}";
    }

    /// <summary>Ends the session: its cookie is deleted and, should a copy of it come back, refused until the token's end.</summary>
    public static async Task SignOutAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.User.FindFirst(SessionClaim)?.Value is { } session)
        {
            var until = context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Properties?.ExpiresUtc ?? DateTimeOffset.UtcNow.AddDays(1);
            context.RequestServices.GetRequiredService<SignedOutSessions>().Add(session, until);
        }

        await context.SignOutAsync(Scheme);
    }

    static async Task RejectSignedOutAsync(CookieValidatePrincipalContext context)
    {
        var session = context.Principal?.FindFirst(SessionClaim)?.Value;
        if (session is null || context.HttpContext.RequestServices.GetRequiredService<SignedOutSessions>().Contains(session))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
        }
    }

    /// <summary>A service that refuses the user's token (it expired there, or the key changed) ends the session: back to the login, which says so.</summary>
    public static IApplicationBuilder UseTokenRefusal(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (TokenRefusedException ex) when (!context.Response.HasStarted)
        {
            LogRefused(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleLogin)), context.User.Subject(), ex.Message);
            await SignOutAsync(context);
            var back = context.Request.PathBase + context.Request.Path + context.Request.QueryString;
            context.Response.Redirect("/login?session=refused&returnUrl=" + Uri.EscapeDataString(back));
        }
    });

    [LoggerMessage(Level = LogLevel.Warning, Message = "signed {Subject} out: {Reason}")]
    static partial void LogRefused(ILogger logger, string subject, string reason);
}

/// <summary>
/// Sessions signed out before their token's end, each kept until that end: a copy of their cookie no longer opens the
/// console. In memory: a restarted console forgets them (the token itself stays valid at the services until it expires).
/// </summary>
public sealed class SignedOutSessions
{
    readonly ConcurrentDictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);

    public void Add(string session, DateTimeOffset until)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (id, end) in _until)
        {
            if (end < now)
            {
                _until.TryRemove(id, out _);
            }
        }

        _until[session] = until;
    }

    public bool Contains(string session) => _until.ContainsKey(session);
}
