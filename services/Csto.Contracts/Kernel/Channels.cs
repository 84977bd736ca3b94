using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Csto.Kernel;

/// <summary>
/// A gRPC channel to one service from one address, or from several separated by commas (the instances of a service,
/// e.g. as deploy/cluster.sh prints them): then calls are spread by gRPC's client-side round robin and an instance
/// that stops answering is skipped until it answers again. Used by cstoctl and the fault driver.
/// </summary>
public static class Channels
{
    public static GrpcChannel For(string addresses, GrpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        options ??= new GrpcChannelOptions();
        var parts = addresses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length <= 1)
        {
            return GrpcChannel.ForAddress(addresses.Trim(), options);
        }

        var uris = new List<Uri>(parts.Length);
        foreach (var part in parts)
        {
            uris.Add(Uri.TryCreate(part, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new ArgumentException($"'{part}' is not an http(s) address", nameof(addresses)));
        }

        if (uris.Select(u => u.Scheme).Distinct().Count() > 1)
        {
            throw new ArgumentException("the addresses mix http and https", nameof(addresses));
        }

        var services = new ServiceCollection();
        services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => uris.Select(u => new BalancerAddress(u.Host, u.Port))));
        options.ServiceProvider = services.BuildServiceProvider();
        options.Credentials = uris[0].Scheme == "https" ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure;
        options.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
        return GrpcChannel.ForAddress("static:///csto", options);
    }
}
