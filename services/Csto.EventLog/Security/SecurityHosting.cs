using System.Globalization;
using Csto.EventLog.Api;
using Csto.EventLog.Hosting;
using Csto.Security;
using Google.Protobuf;
using Google.Rpc;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Csto.EventLog.Security;

/// <summary>Limits on input, from configuration section <c>Limits</c>.</summary>
public sealed class LimitsOptions
{
    /// <summary>Largest request message in bytes (gRPC answers RESOURCE_EXHAUSTED above it).</summary>
    public int MaxReceiveMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Longest string field anywhere in a request, in characters.</summary>
    public int MaxStringLength { get; set; } = 4096;

    /// <summary>Most items in any repeated or map field of a request.</summary>
    public int MaxRepeatedCount { get; set; } = 1000;

    /// <summary>page_size above it is coerced down to it; the services may cap lower.</summary>
    public int MaxPageSize { get; set; } = 1000;

    /// <summary>Concurrent <c>StreamEvents</c> with follow=true per caller (token subject).</summary>
    public int MaxFollowStreamsPerCaller { get; set; } = 4;

    /// <summary>Concurrent <c>StreamEvents</c> on the service, follow or not, whoever the callers: what bounds the memory streams hold.</summary>
    public int MaxStreams { get; set; } = 32;

    /// <summary>
    /// Bytes of StreamEvents messages read and not yet written, all streams together: above half of what is left, a stream
    /// reads smaller batches (down to 64 KB), so streams that do not read hold at most about this much between them.
    /// </summary>
    public int StreamBufferBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>A stream whose client has read nothing for this long (its writes wait on flow control) is ended with a status naming where to resume.</summary>
    public int StalledStreamSeconds { get; set; } = 30;

    /// <summary>Failed authentications (a token that does not verify) per remote address within <see cref="AuthFailureWindowSeconds"/>; past it the address is refused RESOURCE_EXHAUSTED until the window ends.</summary>
    public int MaxAuthFailures { get; set; } = 20;

    public int AuthFailureWindowSeconds { get; set; } = 10;

    /// <summary>Every limit is a positive number.</summary>
    public static IEnumerable<(string, string)> Broken(LimitsOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return Settings.Positive(nameof(MaxReceiveMessageBytes), o.MaxReceiveMessageBytes)
            .Concat(Settings.Positive(nameof(MaxStringLength), o.MaxStringLength))
            .Concat(Settings.Positive(nameof(MaxRepeatedCount), o.MaxRepeatedCount))
            .Concat(Settings.Positive(nameof(MaxPageSize), o.MaxPageSize))
            .Concat(Settings.Positive(nameof(MaxFollowStreamsPerCaller), o.MaxFollowStreamsPerCaller))
            .Concat(Settings.Positive(nameof(MaxStreams), o.MaxStreams))
            .Concat(Settings.Positive(nameof(StalledStreamSeconds), o.StalledStreamSeconds))
            .Concat(Settings.Positive(nameof(StreamBufferBytes), o.StreamBufferBytes))
            .Concat(Settings.Positive(nameof(MaxAuthFailures), o.MaxAuthFailures))
            .Concat(Settings.Positive(nameof(AuthFailureWindowSeconds), o.AuthFailureWindowSeconds));
    }
}

/// <summary>Token validation, from configuration section <c>Security</c> (see the README's configuration table).</summary>
public sealed class SecurityOptions
{
    /// <summary>OpenID Connect authority (production): issuer and signing keys from its discovery document.</summary>
    public string? Authority { get; set; }

    public string Audience { get; set; } = SigningSettings.DefaultAudience;

    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Symmetric HS256 key (at least 32 bytes) when no authority is set; else <c>CSTO_SIGNING_KEY</c>.</summary>
    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = SigningSettings.DefaultIssuer;

    /// <summary>
    /// The secret page tokens are signed with when the service validates tokens through an authority (with a signing key,
    /// tokens are signed with a key derived from it). Without either, each process draws its own: a page token is then
    /// accepted only by the instance that gave it, until it restarts.
    /// </summary>
    public string? PageTokenKey { get; set; }

    /// <summary>No longer honoured outside Development (the service refuses to start with it): kept so that the setting is named in that refusal.</summary>
    public bool AllowDevelopmentKey { get; set; }

    public static IEnumerable<(string, string)> Broken(SecurityOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (!string.IsNullOrEmpty(o.Authority) && !Uri.TryCreate(o.Authority, UriKind.Absolute, out _))
        {
            yield return (nameof(Authority), $"must be an absolute URL (the OpenID Connect issuer), not '{o.Authority}'");
        }

        if (!string.IsNullOrEmpty(o.SigningKey) && System.Text.Encoding.UTF8.GetByteCount(o.SigningKey) < 32)
        {
            yield return (nameof(SigningKey), "must be at least 32 bytes long (HS256)");
        }

        if (string.IsNullOrWhiteSpace(o.Audience))
        {
            yield return (nameof(Audience), "must not be empty");
        }

        if (string.IsNullOrWhiteSpace(o.Issuer))
        {
            yield return (nameof(Issuer), "must not be empty");
        }
    }
}

/// <summary>
/// Authentication and authorization for every service hosted through <see cref="Hosting.EventLogHosting"/>:
/// JWT bearer on every endpoint (fallback policy) except health and reflection, the role tables the
/// services register, and the input limits.
/// </summary>
public static class SecurityHosting
{
    /// <summary>Registers the access table of an API the host serves (the event log's own is registered by AddEventLog).</summary>
    public static IServiceCollection AddAccessTable(this IServiceCollection services, AccessTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        services.AddSingleton(table);
        return services;
    }

    internal static void AddCstoSecurity(IServiceCollection services, IConfiguration config, IHostEnvironment environment)
    {
        var security = Settings.Bind<SecurityOptions>(config, "Security", SecurityOptions.Broken);
        var authority = security.Authority;
        var audience = security.Audience;
        // resolved now, so that a service that could not check a token refuses to start instead of answering every call 500
        var signing = string.IsNullOrEmpty(authority) ? DevelopmentSigning(config, environment, audience) : null;
        services.AddSingleton(new SigningMode(signing is not null && signing.Key == SigningSettings.DevelopmentKey));
        if ((signing?.Key ?? security.PageTokenKey) is { Length: > 0 } pageTokenSecret)
        {
            // every instance and every restart of the service signs and accepts the same page tokens
            Kernel.PageTokens.UseKey(System.Text.Encoding.UTF8.GetBytes(pageTokenSecret));
        }

        services.AddHostedService<SigningModeWarning>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.Audience = audience;
            o.TokenValidationParameters.NameClaimType = Claims.Subject;
            o.TokenValidationParameters.RoleClaimType = Claims.Role;
            o.TokenValidationParameters.ValidAudience = audience;
            o.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
            if (signing is null)
            {
                // production: an OpenID Connect provider publishes the issuer and its signing keys
                o.Authority = authority;
                o.RequireHttpsMetadata = security.RequireHttpsMetadata;
            }
            else
            {
                o.TokenValidationParameters.ValidIssuer = signing.Issuer;
                o.TokenValidationParameters.IssuerSigningKey = signing.SecurityKey();
                o.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
            }

            o.Events = new JwtBearerEvents { OnChallenge = GrpcChallengeAsync };
        });
        // a token validated once is not validated again on every call until it expires (at most 5 minutes: ValidatedTokens);
        // the clock of token lifetimes is the real one, whatever clock the service's rules are given
        services.AddSingleton(_ => new ValidatedTokens(TimeProvider.System));
        services.AddSingleton(sp => new AuthFailureLimiter(sp.GetRequiredService<LimitsOptions>(), TimeProvider.System));
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<ValidatedTokens, AuthFailureLimiter>((o, validated, failures) =>
        {
            o.Events.OnMessageReceived = async context =>
            {
                await validated.OnMessageReceived(context).ConfigureAwait(false);
                await failures.OnMessageReceived(context).ConfigureAwait(false);
            };
            o.Events.OnTokenValidated = validated.OnTokenValidated;
            o.Events.OnAuthenticationFailed = failures.OnAuthenticationFailed;
        });
        services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().Build());
        services.AddHttpContextAccessor();
        services.TryAddSingleton<IActorAccessor, HttpActorAccessor>();
        services.AddAccessTable(AccessTables.EventLog);
        services.AddSingleton<AccessPolicy>();
        services.AddSettings<LimitsOptions>("Limits", LimitsOptions.Broken);
        services.AddSingleton<StreamLimiter>();
    }

    /// <summary>
    /// The symmetric key of a deployment without an authority: <c>Security:SigningKey</c> (or CSTO_SIGNING_KEY);
    /// the repository's development key only in Development.
    /// </summary>
    public static SigningSettings DevelopmentSigning(IConfiguration config, IHostEnvironment environment, string audience)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(environment);
        var security = Settings.Bind<SecurityOptions>(config, "Security", SecurityOptions.Broken);
        var issuer = security.Issuer;
        var key = security.SigningKey is { Length: > 0 } k ? k : config[SigningSettings.KeyVariable];
        if (security.AllowDevelopmentKey && !environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                "Security:AllowDevelopmentKey is no longer honoured: the repository's development key is accepted only in Development (ASPNETCORE_ENVIRONMENT=Development); " +
                "set Security:SigningKey or CSTO_SIGNING_KEY (deploy/up.sh generates one into the data folder), or Security:Authority");
        }

        if (string.IsNullOrEmpty(key))
        {
            key = environment.IsDevelopment()
                ? SigningSettings.DevelopmentKey
                : throw new InvalidOperationException(
                    $"no token validation configured in {environment.EnvironmentName}: set Security:SigningKey or CSTO_SIGNING_KEY (at least {SigningSettings.MinimumKeyBytes} bytes; " +
                    "deploy/up.sh generates one into the data folder) or Security:Authority (OpenID Connect); the repository's development key is accepted only in Development");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(key) < SigningSettings.MinimumKeyBytes)
        {
            throw new InvalidOperationException($"{SigningSettings.KeyVariable} must be at least {SigningSettings.MinimumKeyBytes} bytes long (HS256)");
        }

        if (key == SigningSettings.DevelopmentKey && !environment.IsDevelopment())
        {
            throw new InvalidOperationException("Security:SigningKey is the repository's development key, which is accepted only in Development: generate a key of your own (deploy/up.sh does)");
        }

        return new SigningSettings(key, issuer, audience);
    }

    /// <summary>
    /// UNAUTHENTICATED with the reason in ErrorInfo: for a gRPC call a trailers-only response (every gRPC client sees the
    /// code and the details), for an HTTP/JSON call 401 with the google.rpc.Status as JSON, as the transcoded methods
    /// answer their other errors.
    /// </summary>
    static Task GrpcChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        if (context.AuthenticateFailure is TooManyAuthFailuresException limited)
        {
            return TooManyAuthFailuresAsync(context, limited);
        }

        var (reason, message) = context.AuthenticateFailure switch
        {
            null => ("TOKEN_MISSING", "a bearer token is required (header authorization, value Bearer followed by the JWT)"),
            SecurityTokenExpiredException => ("TOKEN_EXPIRED", "the bearer token has expired"),
            SecurityTokenInvalidAudienceException => ("TOKEN_WRONG_AUDIENCE", "the bearer token is not for this audience"),
            SecurityTokenInvalidIssuerException => ("TOKEN_WRONG_ISSUER", "the bearer token is from another issuer"),
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => ("TOKEN_BAD_SIGNATURE", "the bearer token is not signed with a key this service trusts"),
            _ => ("TOKEN_INVALID", "the bearer token is not valid"),
        };
        context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return RefuseAsync(context.HttpContext, RpcErrors.Status(Code.Unauthenticated, message, RpcErrors.Info(reason)), StatusCodes.Status401Unauthorized);
    }

    /// <summary>RESOURCE_EXHAUSTED TOO_MANY_AUTH_FAILURES: HTTP 429 with Retry-After for HTTP/JSON, the same header beside the gRPC status.</summary>
    static Task TooManyAuthFailuresAsync(JwtBearerChallengeContext context, TooManyAuthFailuresException limited)
    {
        context.HandleResponse();
        var seconds = limited.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.RetryAfter = seconds;
        var status = RpcErrors.Status(Code.ResourceExhausted, limited.Message, RpcErrors.Info("TOO_MANY_AUTH_FAILURES", new Dictionary<string, string>(StringComparer.Ordinal) { ["retry_after_seconds"] = seconds }));
        return RefuseAsync(context.HttpContext, status, StatusCodes.Status429TooManyRequests);
    }

    /// <summary>
    /// A refusal before the method runs: for a gRPC call a trailers-only response (every gRPC client sees the code and the
    /// details), for an HTTP/JSON call <paramref name="httpStatus"/> with the google.rpc.Status as JSON.
    /// </summary>
    internal static Task RefuseAsync(HttpContext http, Google.Rpc.Status status, int httpStatus)
    {
        var response = http.Response;
        if (!HttpJson.IsGrpc(http.Request))
        {
            response.StatusCode = httpStatus;
            response.ContentType = "application/json";
            return response.WriteAsync(StatusJson.Format(status), http.RequestAborted);
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = status.Code.ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = status.Message; // readable ASCII: nothing to percent-encode
        response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray()).TrimEnd('=');
        return Task.CompletedTask;
    }
}

/// <summary>Whether this service accepts tokens signed with the repository's development key (Development only): GetLogInfo and health say so.</summary>
public sealed record SigningMode(bool DevelopmentKey)
{
    public const string Warning = "this service accepts tokens signed with the repository's DEVELOPMENT key: anyone with the repository can act as any role (Development only; set Security:SigningKey)";
}

/// <summary>Says at start, loudly, that the development key is accepted.</summary>
sealed partial class SigningModeWarning(SigningMode mode, ILogger<SigningModeWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (mode.DevelopmentKey)
        {
            LogDevelopmentKey(logger, SigningMode.Warning);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    static partial void LogDevelopmentKey(ILogger logger, string warning);
}
