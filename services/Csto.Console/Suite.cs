using Csto.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using BodiesClient = Csto.Bodies.V1.BodiesService.BodiesServiceClient;
using EventLogClient = Csto.EventLog.V1.EventLogService.EventLogServiceClient;
using MembershipClient = Csto.Membership.V1.MembershipService.MembershipServiceClient;
using OperationsClient = Csto.Operations.V1.OperationsService.OperationsServiceClient;

namespace Csto.Console;

/// <summary>Where the services are and how long a call may take. The token of a call is the signed-in user's (<see cref="ConsoleLogin"/>).</summary>
public sealed record SuiteOptions(IReadOnlyDictionary<string, string> Urls, TimeSpan CallTimeout)
{
    public static readonly string[] Services = ["membership", "bodies", "operations"];

    /// <summary>Settings the console once read and no longer honours: a token or key on the server would let every visitor read as it.</summary>
    static readonly string[] Retired = ["Console:Token", "Console:SigningKey"];

    /// <summary>
    /// Console:&lt;Service&gt;Url, else CSTO_&lt;SERVICE&gt;_URL (as cstoctl), else the documented ports; one address or several
    /// separated by commas. A retired setting that is still configured stops the start, naming it.
    /// </summary>
    public static SuiteOptions From(IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        static string? Set(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
        if (Retired.FirstOrDefault(k => Set(config[k]) is not null) is { } retired)
        {
            throw new InvalidOperationException(
                $"{retired} is no longer read: the console calls the services with the token each user signs in with at /login " +
                "(cstoctl token issue --role reader|operator), never with a token or key of its own; remove the setting");
        }

        var ports = new Dictionary<string, int> { ["membership"] = 5101, ["bodies"] = 5102, ["operations"] = 5103 };
        var urls = Services.ToDictionary(
            s => s,
            s => Set(config[$"Console:{char.ToUpperInvariant(s[0])}{s[1..]}Url"]) ?? Set(Environment.GetEnvironmentVariable($"CSTO_{s.ToUpperInvariant()}_URL")) ?? $"http://127.0.0.1:{ports[s]}");
        var timeout = double.TryParse(config["Console:CallTimeoutSeconds"], System.Globalization.CultureInfo.InvariantCulture, out var t) && t > 0 ? t : 5;
        return new SuiteOptions(urls, TimeSpan.FromSeconds(timeout));
    }
}

/// <summary>A service refused the signed-in user's token (UNAUTHENTICATED): the session ends (<see cref="ConsoleLogin.UseTokenRefusal"/>).</summary>
public sealed class TokenRefusedException(string service, string detail) : Exception($"{service} refused the signed-in user's token: {detail}")
{
    public string Service { get; } = service;
}

/// <summary>A call that did not answer: the page shows the service as down (or the refusal) instead of failing.</summary>
public sealed record Problem(string Service, string Address, bool Down, string Message)
{
    public override string ToString() => Down ? $"{Service} is down ({Address}): {Message}" : $"{Service}: {Message}";
}

/// <summary>The outcome of a call: a value, or the problem that stood in its way.</summary>
public sealed record Answer<T>(T? Value, Problem? Problem)
{
    public bool Ok => Problem is null;
}

/// <summary>
/// The three services' public gRPC clients, with the signed-in user's token on every call (read from the request's
/// authentication result, so one singleton serves every user) and a deadline.
/// </summary>
public sealed class Suite : IDisposable
{
    readonly SuiteOptions _options;
    readonly IHttpContextAccessor _http;
    readonly Dictionary<string, GrpcChannel> _channels;
    readonly Dictionary<string, CallInvoker> _invokers;

    public Suite(SuiteOptions options, IHttpContextAccessor http)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _channels = SuiteOptions.Services.ToDictionary(s => s, s => Channels.For(options.Urls[s], new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 }));
        _invokers = _channels.ToDictionary(c => c.Key, c => c.Value.CreateCallInvoker().Intercept(m =>
        {
            // no user, no token: the service answers UNAUTHENTICATED and the session ends
            if (ConsoleLogin.TokenOf(_http.HttpContext) is { } token)
            {
                m.Add(Bearer.Header, "Bearer " + token);
            }

            return m;
        }));
    }

    public IReadOnlyList<string> Services => SuiteOptions.Services;

    public string Address(string service) => _options.Urls[service];

    public MembershipClient Membership => new(_invokers["membership"]);

    public BodiesClient Bodies => new(_invokers["bodies"]);

    public OperationsClient Operations => new(_invokers["operations"]);

    public EventLogClient EventLog(string service) => new(_invokers[service]);

    /// <summary>The event log API of <paramref name="service"/> called with <paramref name="token"/>, not the user's: the login's check of a token.</summary>
    public EventLogClient EventLogWith(string service, string token) => new(_channels[service].WithToken(token));

    /// <summary>The deadline of one call from now.</summary>
    public DateTime Deadline => DateTime.UtcNow + _options.CallTimeout;

    /// <summary>
    /// Runs a call; a service that does not answer (or refuses the request) becomes a <see cref="Problem"/>; one that refuses
    /// the user's token throws <see cref="TokenRefusedException"/>, which ends the session.
    /// </summary>
    public async Task<Answer<T>> TryAsync<T>(string service, Func<DateTime, Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return new Answer<T>(await call(Deadline), null);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unauthenticated)
        {
            throw new TokenRefusedException(service, ex.Status.Detail);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled)
        {
            return new Answer<T>(default, new Problem(service, Address(service), true, ex.Status.Detail));
        }
        catch (RpcException ex)
        {
            return new Answer<T>(default, new Problem(service, Address(service), false, $"{ex.StatusCode}: {ex.Status.Detail}"));
        }
        catch (HttpRequestException ex)
        {
            return new Answer<T>(default, new Problem(service, Address(service), true, ex.Message));
        }
    }

    public void Dispose()
    {
        foreach (var c in _channels.Values)
        {
            c.Dispose();
        }
    }
}
