using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Csto.EventLog.Security;

/// <summary>
/// Bearer tokens this service has validated, so that the next call with the same token skips the work (parse, signature,
/// issuer, audience, lifetime): a client sends one token on every call until it expires. A token is accepted from here
/// only until its own expiry (exp, without the clock skew the full validation allows) and at most
/// <see cref="MaxAge"/> after it was validated, so a key withdrawn by the authority stops a token within that time.
/// Only tokens that passed the full validation are held; a token that fails is validated again on every call.
/// </summary>
public sealed class ValidatedTokens(TimeProvider clock)
{
    /// <summary>Tokens held at most; when full, the oldest half is dropped.</summary>
    public const int Capacity = 10_000;

    /// <summary>How long a validation counts, at most.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    readonly ConcurrentDictionary<string, Entry> _tokens = new(StringComparer.Ordinal);

    sealed record Entry(ClaimsPrincipal Principal, DateTimeOffset Until);

    public int Count => _tokens.Count;

    /// <summary>Whether <paramref name="token"/> is accepted from here now (without being validated again).</summary>
    public bool Holds(string token) => _tokens.TryGetValue(token, out var entry) && entry.Until > clock.GetUtcNow();

    /// <summary>JwtBearerEvents.OnMessageReceived: a token validated before is accepted without validating it again.</summary>
    public Task OnMessageReceived(MessageReceivedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Token(context.Request.Headers.Authorization.ToString()) is { } token
            && _tokens.TryGetValue(token, out var entry))
        {
            if (entry.Until > clock.GetUtcNow())
            {
                // a copy per call: a request that adds to its user never changes the next one's
                context.Principal = entry.Principal.Clone();
                context.Success();
            }
            else
            {
                _tokens.TryRemove(token, out _);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>JwtBearerEvents.OnTokenValidated: remembers a token that passed the full validation.</summary>
    public Task OnTokenValidated(TokenValidatedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Principal is { } principal && context.SecurityToken is { } validated
            && Token(context.Request.Headers.Authorization.ToString()) is { } token)
        {
            var now = clock.GetUtcNow();
            var expires = validated.ValidTo == DateTime.MinValue ? now + MaxAge : new DateTimeOffset(DateTime.SpecifyKind(validated.ValidTo, DateTimeKind.Utc));
            var until = expires < now + MaxAge ? expires : now + MaxAge;
            if (until > now)
            {
                if (_tokens.Count >= Capacity)
                {
                    foreach (var old in _tokens.OrderBy(t => t.Value.Until).Take(Capacity / 2).Select(t => t.Key).ToList())
                    {
                        _tokens.TryRemove(old, out _);
                    }
                }

                _tokens[token] = new Entry(principal.Clone(), until);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The token of "Bearer &lt;token&gt;", as the JwtBearer handler reads it; else null.</summary>
    static string? Token(string authorization) =>
        authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization[7..].Trim() is { Length: > 0 } token ? token : null;
}
