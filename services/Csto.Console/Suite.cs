using Csto.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using BodiesClient = Csto.Bodies.V1.BodiesService.BodiesServiceClient;
using EventLogClient = Csto.EventLog.V1.EventLogService.EventLogServiceClient;
using MembershipClient = Csto.Membership.V1.MembershipService.MembershipServiceClient;
using OperationsClient = Csto.Operations.V1.OperationsService.OperationsServiceClient;

namespace Csto.Console;

/// <summary>Where the services are and which token the console calls them with.</summary>
public sealed record SuiteOptions(IReadOnlyDictionary<string, string> Urls, string? Token, SigningSettings Signing, TimeSpan CallTimeout)
{
    public static readonly string[] Services = ["membership", "bodies", "operations"];

    /// <summary>
    /// Console:&lt;Service&gt;Url, else CSTO_&lt;SERVICE&gt;_URL (as cstoctl), else the documented ports; one address or several
    /// separated by commas. The token: Console:Token, else CSTO_TOKEN; without one the console signs reader tokens with
    /// Console:SigningKey, else the deployment's key (CSTO_SIGNING_KEY, else the data folder's signing.key), else the development key.
    /// </summary>
    public static SuiteOptions From(IConfiguration config, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(config);
        static string? Set(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
        var ports = new Dictionary<string, int> { ["membership"] = 5101, ["bodies"] = 5102, ["operations"] = 5103 };
        var urls = Services.ToDictionary(
            s => s,
            s => Set(config[$"Console:{char.ToUpperInvariant(s[0])}{s[1..]}Url"]) ?? Set(Environment.GetEnvironmentVariable($"CSTO_{s.ToUpperInvariant()}_URL")) ?? $"http://127.0.0.1:{ports[s]}");
        var token = Set(config["Console:Token"]) ?? Set(Environment.GetEnvironmentVariable("CSTO_TOKEN"));
        var key = Set(config["Console:SigningKey"]) ?? SigningSettings.FindKey();
        if (token is null && key is null)
        {
            logger.LogWarning("no Console:Token and no signing key: signing reader tokens with the DEVELOPMENT key; only a development deployment accepts them");
        }

        var timeout = double.TryParse(config["Console:CallTimeoutSeconds"], System.Globalization.CultureInfo.InvariantCulture, out var t) && t > 0 ? t : 5;
        return new SuiteOptions(urls, token, new SigningSettings(key ?? SigningSettings.DevelopmentKey), TimeSpan.FromSeconds(timeout));
    }
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

/// <summary>The three services' public gRPC clients, with a reader token on every call and a deadline.</summary>
public sealed class Suite : IDisposable
{
    readonly SuiteOptions _options;
    readonly Dictionary<string, GrpcChannel> _channels;
    readonly Dictionary<string, CallInvoker> _invokers;
    readonly Lock _tokenLock = new();
    string? _minted;
    DateTime _mintedUntil;

    public Suite(SuiteOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _channels = SuiteOptions.Services.ToDictionary(s => s, s => Channels.For(options.Urls[s], new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 }));
        _invokers = _channels.ToDictionary(c => c.Key, c => c.Value.CreateCallInvoker().Intercept(m =>
        {
            m.Add(Bearer.Header, "Bearer " + Token());
            return m;
        }));
    }

    public IReadOnlyList<string> Services => SuiteOptions.Services;

    public string Address(string service) => _options.Urls[service];

    public MembershipClient Membership => new(_invokers["membership"]);

    public BodiesClient Bodies => new(_invokers["bodies"]);

    public OperationsClient Operations => new(_invokers["operations"]);

    public EventLogClient EventLog(string service) => new(_invokers[service]);

    /// <summary>The deadline of one call from now.</summary>
    public DateTime Deadline => DateTime.UtcNow + _options.CallTimeout;

    string Token()
    {
        if (_options.Token is not null)
        {
            return _options.Token;
        }

        lock (_tokenLock)
        {
            if (_minted is null || DateTime.UtcNow > _mintedUntil)
            {
                _minted = TokenIssuer.Issue(_options.Signing, "csto-console", Roles.Reader, null, TimeSpan.FromHours(1));
                _mintedUntil = DateTime.UtcNow.AddMinutes(50);
            }

            return _minted;
        }
    }

    /// <summary>Runs a call; a service that does not answer (or refuses) becomes a <see cref="Problem"/>, never an exception.</summary>
    public async Task<Answer<T>> TryAsync<T>(string service, Func<DateTime, Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return new Answer<T>(await call(Deadline), null);
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
