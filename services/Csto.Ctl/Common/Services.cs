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

    /// <summary>One address, or several separated by commas (round robin over the instances: <see cref="Kernel.Channels"/>).</summary>
    static GrpcChannel ChannelFor(string service, string address)
    {
        try
        {
            return Kernel.Channels.For(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        }
        catch (ArgumentException ex)
        {
            throw new CtlException(ExitCodes.Usage, $"{service}: {ex.Message}");
        }
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
