using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Csto.EventLog.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Csto.EventLog.Security;

/// <summary>
/// A brake on guessing tokens: the failed authentications of each remote address are counted in a window of
/// Limits:AuthFailureWindowSeconds; past Limits:MaxAuthFailures, a call from that address whose token this service has
/// not validated before is refused (RESOURCE_EXHAUSTED TOO_MANY_AUTH_FAILURES, HTTP 429 with Retry-After) without being
/// validated, until the window ends. A caller whose token was validated before (<see cref="ValidatedTokens"/>) is never
/// slowed, even from the same address; a missing token is not a guess and is not counted.
/// </summary>
public sealed class AuthFailureLimiter(LimitsOptions limits, TimeProvider clock)
{
    /// <summary>Addresses tracked at most; when full, the windows that have ended are dropped, then the oldest half.</summary>
    public const int Capacity = 10_000;

    static readonly Counter<long> Failures = EventLogTelemetry.Meter.CreateCounter<long>("csto.security.auth_failures", "{call}",
        "Calls refused for their token, by outcome: refused (the token did not verify) or limited (too many failures from the address: not validated)");

    readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    sealed class Window(DateTimeOffset start)
    {
        public DateTimeOffset Start { get; } = start;

        public int Failures;
    }

    /// <summary>The time until the address may try again, when it is over the limit now.</summary>
    public TimeSpan? RetryAfter(string address)
    {
        if (!_windows.TryGetValue(address, out var window) || Volatile.Read(ref window.Failures) < limits.MaxAuthFailures)
        {
            return null;
        }

        var left = window.Start + TimeSpan.FromSeconds(limits.AuthFailureWindowSeconds) - clock.GetUtcNow();
        return left > TimeSpan.Zero ? left : null;
    }

    public void Failed(string address)
    {
        var now = clock.GetUtcNow();
        var length = TimeSpan.FromSeconds(limits.AuthFailureWindowSeconds);
        if (_windows.Count >= Capacity)
        {
            foreach (var ended in _windows.Where(w => w.Value.Start + length <= now).Select(w => w.Key).ToList())
            {
                _windows.TryRemove(ended, out _);
            }

            foreach (var old in _windows.OrderBy(w => w.Value.Start).Take(_windows.Count / 2).Select(w => w.Key).ToList())
            {
                _windows.TryRemove(old, out _);
            }
        }

        var window = _windows.AddOrUpdate(address, _ => new Window(now), (_, w) => w.Start + length <= now ? new Window(now) : w);
        Interlocked.Increment(ref window.Failures);
        Failures.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
    }

    /// <summary>JwtBearerEvents.OnMessageReceived, after <see cref="ValidatedTokens"/>: an address over the limit is refused without validating its token.</summary>
    public Task OnMessageReceived(MessageReceivedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Result is null && RetryAfter(Address(context.HttpContext)) is { } retryAfter)
        {
            Failures.Add(1, new KeyValuePair<string, object?>("outcome", "limited"));
            context.Fail(new TooManyAuthFailuresException(retryAfter, limits));
        }

        return Task.CompletedTask;
    }

    /// <summary>JwtBearerEvents.OnAuthenticationFailed: a token that did not verify counts against its address.</summary>
    public Task OnAuthenticationFailed(AuthenticationFailedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Failed(Address(context.HttpContext));
        return Task.CompletedTask;
    }

    static string Address(Microsoft.AspNetCore.Http.HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}

/// <summary>The authentication failure of a call refused by <see cref="AuthFailureLimiter"/>.</summary>
public sealed class TooManyAuthFailuresException(TimeSpan retryAfter, LimitsOptions limits)
    : Exception($"too many failed authentications from this address ({limits.MaxAuthFailures} in {limits.AuthFailureWindowSeconds} s, Limits:MaxAuthFailures): retry after {Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s")
{
    public int RetryAfterSeconds { get; } = (int)Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds));
}
