using Csto.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace Csto.Ctl.Common;

/// <summary>The three services and where they listen (flags, then CSTO_&lt;SERVICE&gt;_URL, then the documented ports).</summary>
public sealed class ServiceDirectory(IReadOnlyDictionary<string, string> addresses, string? token = null) : IDisposable
{
    public static readonly string[] Names = ["membership", "bodies", "operations"];
    readonly Dictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);
    Interceptor? _minting;

    public static ServiceDirectory FromEnvironment(string? membership = null, string? bodies = null, string? operations = null, string? token = null) => new(new Dictionary<string, string>
    {
        ["membership"] = membership ?? Environment.GetEnvironmentVariable("CSTO_MEMBERSHIP_URL") ?? "http://127.0.0.1:5101",
        ["bodies"] = bodies ?? Environment.GetEnvironmentVariable("CSTO_BODIES_URL") ?? "http://127.0.0.1:5102",
        ["operations"] = operations ?? Environment.GetEnvironmentVariable("CSTO_OPERATIONS_URL") ?? "http://127.0.0.1:5103",
    }, string.IsNullOrEmpty(token) ? Environment.GetEnvironmentVariable("CSTO_TOKEN") : token);

    /// <summary>The bearer token every call carries (--token, else CSTO_TOKEN), or null.</summary>
    public string? Token { get; } = string.IsNullOrEmpty(token) ? null : token;

    /// <summary>
    /// Without a token, sign one per call for the role (and state) the access table requires, with the configured key
    /// (<see cref="SigningSettings.KeyVariable"/> or the development key). For the history loader, which acts as the
    /// Secretariat and as many states' delegates and reporters.
    /// </summary>
    public void MintPerCallWhenNoToken(SigningSettings signing, string subject)
    {
        if (Token is null)
        {
            _minting = ActAsRequiredInterceptor.Minting(signing, subject);
        }
    }

    public string Address(string service) => addresses.TryGetValue(service, out var a)
        ? a
        : throw new CtlException(ExitCodes.Usage, $"unknown service '{service}': one of {string.Join(", ", Names)}");

    public CallInvoker Channel(string service)
    {
        if (!_channels.TryGetValue(service, out var channel))
        {
            _channels[service] = channel = ChannelFor(service, Address(service));
        }

        return Token is not null ? channel.WithToken(Token)
            : _minting is not null ? channel.Intercept(_minting)
            : channel.CreateCallInvoker();
    }

    /// <summary>
    /// One address, or several separated by commas (the instances of one service, e.g. from deploy/cluster.sh): then the
    /// calls are spread over them by gRPC's client-side round robin, and an instance that stops answering is skipped.
    /// </summary>
    static GrpcChannel ChannelFor(string service, string address)
    {
        var options = new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 };
        var parts = address.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length <= 1)
        {
            return GrpcChannel.ForAddress(address, options);
        }

        var uris = parts.Select(p => Uri.TryCreate(p, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u
            : throw new CtlException(ExitCodes.Usage, $"{service}: '{p}' is not an http(s) address")).ToList();
        if (uris.Select(u => u.Scheme).Distinct().Count() > 1)
        {
            throw new CtlException(ExitCodes.Usage, $"{service}: the addresses mix http and https");
        }

        var resolver = new Grpc.Net.Client.Balancer.StaticResolverFactory(_ => uris.Select(u => new Grpc.Net.Client.Balancer.BalancerAddress(u.Host, u.Port)));
        var provider = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Grpc.Net.Client.Balancer.ResolverFactory>(provider, resolver);
        options.ServiceProvider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(provider);
        options.Credentials = uris[0].Scheme == "https" ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure;
        options.ServiceConfig = new Grpc.Net.Client.Configuration.ServiceConfig { LoadBalancingConfigs = { new Grpc.Net.Client.Configuration.RoundRobinConfig() } };
        return GrpcChannel.ForAddress("static:///" + service, options);
    }

    /// <summary>"all" expands to the three services.</summary>
    public static IReadOnlyList<string> Expand(string service) =>
        service == "all" ? Names : Names.Contains(service) ? [service]
            : throw new CtlException(ExitCodes.Usage, $"--service must be one of {string.Join(", ", Names)}, all; not '{service}'");

    /// <summary>Runs a call and turns transport failures into an error that names the service and its address.</summary>
    public async Task<T> CallAsync<T>(string service, Func<CallInvoker, Task<T>> call)
    {
        try
        {
            return await call(Channel(service));
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            throw new CtlException(ExitCodes.Unavailable, $"the {service} service does not answer at {Address(service)}: {ex.Status.Detail}");
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unauthenticated)
        {
            throw new CtlException(ExitCodes.Failed, $"{service}: {ex.StatusCode}: {ex.Status.Detail} (pass --token or set CSTO_TOKEN; a development token: cstoctl token issue --role reader)");
        }
        catch (RpcException ex)
        {
            throw new CtlException(ex.StatusCode == StatusCode.NotFound ? ExitCodes.NotFound : ExitCodes.Failed, $"{service}: {ex.StatusCode}: {ex.Status.Detail}");
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Unavailable = 3;
    public const int NotFound = 4;
    public const int Mismatch = 5;
}

public sealed class CtlException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
