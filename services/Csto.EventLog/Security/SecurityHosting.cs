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

    /// <summary>Every limit is a positive number.</summary>
    public static IEnumerable<(string, string)> Broken(LimitsOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return Settings.Positive(nameof(MaxReceiveMessageBytes), o.MaxReceiveMessageBytes)
            .Concat(Settings.Positive(nameof(MaxStringLength), o.MaxStringLength))
            .Concat(Settings.Positive(nameof(MaxRepeatedCount), o.MaxRepeatedCount))
            .Concat(Settings.Positive(nameof(MaxPageSize), o.MaxPageSize))
            .Concat(Settings.Positive(nameof(MaxFollowStreamsPerCaller), o.MaxFollowStreamsPerCaller));
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

    /// <summary>Accept the repository's development-only key outside the Development environment.</summary>
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
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.Audience = audience;
            o.TokenValidationParameters.NameClaimType = Claims.Subject;
            o.TokenValidationParameters.RoleClaimType = Claims.Role;
            o.TokenValidationParameters.ValidAudience = audience;
            o.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
            if (!string.IsNullOrEmpty(authority))
            {
                // production: an OpenID Connect provider publishes the issuer and its signing keys
                o.Authority = authority;
                o.RequireHttpsMetadata = security.RequireHttpsMetadata;
            }
            else
            {
                var signing = DevelopmentSigning(config, environment, audience);
                o.TokenValidationParameters.ValidIssuer = signing.Issuer;
                o.TokenValidationParameters.IssuerSigningKey = signing.SecurityKey();
                o.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
            }

            o.Events = new JwtBearerEvents { OnChallenge = GrpcChallengeAsync };
        });
        // a token validated once is not validated again on every call until it expires (at most 5 minutes: ValidatedTokens);
        // the clock of token lifetimes is the real one, whatever clock the service's rules are given
        services.AddSingleton(_ => new ValidatedTokens(TimeProvider.System));
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<ValidatedTokens>((o, validated) =>
        {
            o.Events.OnMessageReceived = validated.OnMessageReceived;
            o.Events.OnTokenValidated = validated.OnTokenValidated;
        });
        services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().Build());
        services.AddHttpContextAccessor();
        services.TryAddSingleton<IActorAccessor, HttpActorAccessor>();
        services.AddAccessTable(AccessTables.EventLog);
        services.AddSingleton<AccessPolicy>();
        services.AddSettings<LimitsOptions>("Limits", LimitsOptions.Broken);
        services.AddSingleton<FollowStreamLimiter>();
    }

    /// <summary>
    /// The symmetric key of a deployment without an authority: <c>Security:SigningKey</c> (or CSTO_SIGNING_KEY);
    /// the repository's development key only in Development or when <c>Security:AllowDevelopmentKey=true</c>.
    /// </summary>
    public static SigningSettings DevelopmentSigning(IConfiguration config, IHostEnvironment environment, string audience)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(environment);
        var security = Settings.Bind<SecurityOptions>(config, "Security", SecurityOptions.Broken);
        var issuer = security.Issuer;
        var key = security.SigningKey is { Length: > 0 } k ? k : config[SigningSettings.KeyVariable];
        if (string.IsNullOrEmpty(key))
        {
            var allowed = environment.IsDevelopment() || security.AllowDevelopmentKey;
            key = allowed
                ? SigningSettings.DevelopmentKey
                : throw new InvalidOperationException("no token validation configured: set Security:Authority (OpenID Connect) or Security:SigningKey; the repository's development key is accepted only in Development or with Security:AllowDevelopmentKey=true");
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
        var (reason, message) = context.AuthenticateFailure switch
        {
            null => ("TOKEN_MISSING", "a bearer token is required (header authorization, value Bearer followed by the JWT)"),
            SecurityTokenExpiredException => ("TOKEN_EXPIRED", "the bearer token has expired"),
            SecurityTokenInvalidAudienceException => ("TOKEN_WRONG_AUDIENCE", "the bearer token is not for this audience"),
            SecurityTokenInvalidIssuerException => ("TOKEN_WRONG_ISSUER", "the bearer token is from another issuer"),
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => ("TOKEN_BAD_SIGNATURE", "the bearer token is not signed with a key this service trusts"),
            _ => ("TOKEN_INVALID", "the bearer token is not valid"),
        };
        var status = RpcErrors.Status(Code.Unauthenticated, message, RpcErrors.Info(reason));
        var response = context.Response;
        response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        if (!(context.Request.ContentType ?? "").StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase))
        {
            response.StatusCode = StatusCodes.Status401Unauthorized;
            response.ContentType = "application/json";
            return response.WriteAsync(StatusJson.Format(status), context.HttpContext.RequestAborted);
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)Code.Unauthenticated).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = status.Message; // readable ASCII: nothing to percent-encode
        response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray()).TrimEnd('=');
        return Task.CompletedTask;
    }
}
