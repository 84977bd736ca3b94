using Csto.Bodies;
using Csto.EventLog;
using Csto.Membership;
using Csto.Operations;
using Csto.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Csto.Security.Tests;

/// <summary>
/// The three services, each on its own virtual host and data folder: nothing flows between them, so a log head
/// moves only through the calls a test makes.
/// </summary>
public class SecureSuite : IAsyncLifetime
{
    readonly RabbitMqFixture _broker = new();
    readonly TempDir _dir = new();
    readonly Dictionary<string, ServiceHost> _hosts = new(StringComparer.Ordinal);

    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Operations:AutoClose"] = "false",
    };

    public ServiceHost this[string service] => _hosts[service];

    public static long Head(ServiceHost host) => host.Services.GetRequiredService<IEventStore>().HeadPosition;

    /// <summary>The three heads, membership, bodies, operations.</summary>
    public long[] Heads() => [Head(this["membership"]), Head(this["bodies"]), Head(this["operations"])];

    /// <summary>Every host still answers its health check SERVING.</summary>
    public async Task StillServingAsync()
    {
        foreach (var (name, host) in _hosts)
        {
            var health = await new Grpc.Health.V1.Health.HealthClient(host.Anonymous).CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
            Assert.True(health.Status == Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, $"{name}: {health.Status}");
        }
    }

    public async Task InitializeAsync()
    {
        await _broker.InitializeAsync();
        _hosts["membership"] = await StartAsync("membership", MembershipHost.Configure, MembershipHost.Map);
        _hosts["bodies"] = await StartAsync("bodies", BodiesHost.Configure, BodiesHost.Map);
        _hosts["operations"] = await StartAsync("operations", OperationsHost.Configure, OperationsHost.Map);

        // the bodies service seeds its reference data at start: wait until its head stops moving
        var bodies = _hosts["bodies"];
        long last = -1;
        await Eventually.UntilAsync(async () =>
        {
            var head = Head(bodies);
            var stable = head > 0 && head == last;
            last = head;
            await Task.Delay(200);
            return stable;
        }, TimeSpan.FromSeconds(30), "the bodies reference data");
    }

    async Task<ServiceHost> StartAsync(string name, Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder> configure, Action<Microsoft.AspNetCore.Builder.WebApplication> map)
    {
        var url = await _broker.NewVirtualHostUrlAsync();
        var dir = Path.Combine(_dir.Path, name);
        Directory.CreateDirectory(dir);
        return await ServiceHost.StartAsync(name, url, dir, configure, map, Settings);
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts.Values)
        {
            await host.DisposeAsync();
        }

        _dir.Dispose();
        await _broker.DisposeAsync();
    }
}
