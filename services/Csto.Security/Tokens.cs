using System.Security.Claims;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Csto.Security;

/// <summary>Where development tokens are signed and checked: one symmetric key, an issuer and an audience.</summary>
public sealed record SigningSettings(string Key, string Issuer = SigningSettings.DefaultIssuer, string Audience = SigningSettings.DefaultAudience)
{
    public const string DefaultIssuer = "csto-dev";
    public const string DefaultAudience = "csto";

    /// <summary>
    /// DEVELOPMENT ONLY, not a secret: it is in the repository. The services accept it only when no
    /// <c>Security:Authority</c> is configured and the environment is Development or <c>Security:AllowDevelopmentKey=true</c>.
    /// </summary>
    public const string DevelopmentKey = "csto-DEVELOPMENT-ONLY-signing-key-do-not-use-in-production";

    /// <summary>Environment variable that cstoctl reads for the key (the services read <c>Security:SigningKey</c> or the same variable).</summary>
    public const string KeyVariable = "CSTO_SIGNING_KEY";

    /// <summary>HS256 wants at least 256 bits.</summary>
    public const int MinimumKeyBytes = 32;

    /// <summary>The file in the data folder where <c>deploy/up.sh</c> and <c>deploy/cluster.sh</c> keep the key they generated (0600).</summary>
    public const string KeyFileName = "signing.key";

    /// <summary>
    /// The deployment's key as a tool finds it (cstoctl, the console, the fault driver): <c>CSTO_SIGNING_KEY</c>, else the
    /// file <c>CSTO_SIGNING_KEY_FILE</c>, else <c>$CSTO_DATA/signing.key</c>, else <c>.data/signing.key</c> (the data folder
    /// of <c>deploy/up.sh</c> run from the repository); null when there is none.
    /// </summary>
    public static string? FindKey(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (environment(KeyVariable) is { Length: > 0 } key)
        {
            return key;
        }

        var files = new[]
        {
            environment("CSTO_SIGNING_KEY_FILE"),
            environment("CSTO_DATA") is { Length: > 0 } data ? Path.Combine(data, KeyFileName) : null,
            Path.Combine(".data", KeyFileName),
        };
        foreach (var file in files)
        {
            if (!string.IsNullOrEmpty(file) && File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } found)
            {
                return found;
            }
        }

        return null;
    }

    public SymmetricSecurityKey SecurityKey()
    {
        var bytes = Encoding.UTF8.GetBytes(Key);
        return bytes.Length < MinimumKeyBytes
            ? throw new InvalidOperationException($"the signing key has {bytes.Length} bytes; HS256 needs at least {MinimumKeyBytes}")
            : new SymmetricSecurityKey(bytes);
    }
}

/// <summary>Mints HS256 JWTs with the claims the services read (<c>sub</c>, <c>role</c>, <c>csto_state</c>).</summary>
public static class TokenIssuer
{
    public static string Issue(SigningSettings signing, string subject, string role, string? state, TimeSpan ttl, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(signing);
        ArgumentException.ThrowIfNullOrEmpty(subject);
        if (!Roles.IsKnown(role))
        {
            throw new ArgumentException($"unknown role '{role}': one of {string.Join(", ", Roles.All)}", nameof(role));
        }

        if (Roles.IsStateBound(role) && string.IsNullOrEmpty(state))
        {
            throw new ArgumentException($"a {role} token needs the state it acts for", nameof(state));
        }

        var issuedAt = (now ?? DateTimeOffset.UtcNow).UtcDateTime;
        var claims = new Dictionary<string, object>(StringComparer.Ordinal) { [Claims.Subject] = subject, [Claims.Role] = role };
        if (!string.IsNullOrEmpty(state))
        {
            claims[Claims.State] = state;
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = signing.Issuer,
            Audience = signing.Audience,
            Claims = claims,
            IssuedAt = issuedAt,
            NotBefore = issuedAt,
            Expires = issuedAt + ttl,
            SigningCredentials = new SigningCredentials(signing.SecurityKey(), SecurityAlgorithms.HmacSha256),
        });
    }
}

/// <summary>Client side: attach a bearer token to every call of a channel.</summary>
public static class Bearer
{
    public const string Header = "authorization";

    public static CallInvoker WithToken(this CallInvoker invoker, string token)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        return invoker.Intercept(metadata =>
        {
            metadata.Add(Header, "Bearer " + token);
            return metadata;
        });
    }

    public static CallInvoker WithToken(this ChannelBase channel, string token)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.CreateCallInvoker().WithToken(token);
    }
}

/// <summary>
/// Client side: for each call, mints a token for the role the access table requires and, for delegate and reporter
/// acts, the state the request names. For tools that hold the signing key (the history loader, the test harness);
/// a service never trusts it more than any other token.
/// </summary>
public sealed class ActAsRequiredInterceptor(Func<string, string, string> tokenFor) : Interceptor
{
    /// <summary>Preference when several roles may call: the least powerful that fits.</summary>
    static readonly string[] Preference = [Roles.Reader, Roles.Delegate, Roles.Reporter, Roles.Secretariat, Roles.Operator];

    public static ActAsRequiredInterceptor Minting(SigningSettings signing, string subject, TimeSpan? ttl = null)
    {
        var cache = new System.Collections.Concurrent.ConcurrentDictionary<(string, string), (string Token, DateTimeOffset Until)>();
        var life = ttl ?? TimeSpan.FromHours(1);
        return new ActAsRequiredInterceptor((role, state) =>
        {
            var now = DateTimeOffset.UtcNow;
            if (cache.TryGetValue((role, state), out var cached) && cached.Until > now.AddMinutes(1))
            {
                return cached.Token;
            }

            var token = TokenIssuer.Issue(signing, subject, role, state.Length == 0 ? null : state, life, now);
            cache[(role, state)] = (token, now + life);
            return token;
        });
    }

    /// <summary>The role and state a call needs, or null when the method is in no access table.</summary>
    public static (string Role, string State)? RoleFor(string methodPath, Google.Protobuf.IMessage? request)
    {
        if (AccessTables.Find(methodPath) is not { } rule)
        {
            return null;
        }

        var state = request is null ? "" : rule.StateOf(request);
        foreach (var role in Preference.Where(rule.Roles.Contains))
        {
            if (!Roles.IsStateBound(role))
            {
                return (role, "");
            }

            if (state.Length > 0)
            {
                return (role, state);
            }
        }

        // a state-bound act without a state: let the service answer it (PERMISSION_DENIED)
        return (rule.Roles.First(), "");
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return continuation(request, WithToken(context, request));
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return continuation(request, WithToken(context, request));
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return continuation(request, WithToken(context, request));
    }

    ClientInterceptorContext<TRequest, TResponse> WithToken<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context, TRequest request)
        where TRequest : class
        where TResponse : class
    {
        if (RoleFor(context.Method.FullName, request as Google.Protobuf.IMessage) is not var (role, state))
        {
            return context;
        }

        var headers = context.Options.Headers ?? [];
        headers.Add(Bearer.Header, "Bearer " + tokenFor(role, state));
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
    }
}

/// <summary>Reads the claims of a principal the JWT handler produced (inbound claim mapping off).</summary>
public static class PrincipalClaims
{
    public static string Subject(this ClaimsPrincipal user) => user?.FindFirst(Claims.Subject)?.Value ?? "";

    public static string Role(this ClaimsPrincipal user) => user?.FindFirst(Claims.Role)?.Value ?? "";

    public static string State(this ClaimsPrincipal user) => user?.FindFirst(Claims.State)?.Value ?? "";
}

/// <summary>
/// What a JWT says about itself: subject, roles, state and expiry, read with the JWT library and NOT checked (no signature,
/// issuer or audience). Only for a token a service has just accepted, e.g. the console's login, which shows who signed in
/// and ends its session when the token does.
/// </summary>
public sealed record TokenContents(string Subject, IReadOnlyList<string> Roles, string State, DateTimeOffset? Expires)
{
    /// <summary>The contents, or null when <paramref name="token"/> is not a JWT.</summary>
    public static TokenContents? Read(string token)
    {
        if (string.IsNullOrEmpty(token) || !new JsonWebTokenHandler().CanReadToken(token))
        {
            return null;
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return null;
        }

        string Value(string type) => jwt.Claims.FirstOrDefault(c => c.Type == type)?.Value ?? "";
        var roles = jwt.Claims.Where(c => c.Type == Claims.Role).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList();
        DateTimeOffset? expires = jwt.TryGetPayloadValue<long>("exp", out var exp) ? DateTimeOffset.FromUnixTimeSeconds(exp) : null;
        return new TokenContents(Value(Claims.Subject), roles, Value(Claims.State), expires);
    }
}
