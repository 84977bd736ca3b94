using Csto.Bodies;
using Csto.Membership;
using Csto.Operations;
using Csto.Testing;

namespace Csto.IntegrationTests;

/// <summary>The three services in-process on real Kestrel, real SQLite files and one virtual host of a real broker, with nothing loaded.</summary>
public sealed class ThreeServices : IAsyncDisposable
{
    readonly TempDir _dir;

    ThreeServices(TempDir dir, ServiceHost membership, ServiceHost bodies, ServiceHost operations)
    {
        _dir = dir;
        Membership = membership;
        Bodies = bodies;
        Operations = operations;
    }

    public ServiceHost Membership { get; }

    public ServiceHost Bodies { get; }

    public ServiceHost Operations { get; }

    public IEnumerable<(string Name, ServiceHost Host)> All => [("membership", Membership), ("bodies", Bodies), ("operations", Operations)];

    public static async Task<ThreeServices> StartAsync(RabbitMqFixture broker)
    {
        var url = await broker.NewVirtualHostUrlAsync();
        var dir = new TempDir();
        // consumers first, so that their queues are bound before membership publishes
        var bodies = await ServiceHost.StartAsync("bodies", url, dir.Path, BodiesHost.Configure, BodiesHost.Map);
        var operations = await ServiceHost.StartAsync("operations", url, dir.Path, OperationsHost.Configure, OperationsHost.Map);
        var membership = await ServiceHost.StartAsync("membership", url, dir.Path, MembershipHost.Configure, MembershipHost.Map);
        return new ThreeServices(dir, membership, bodies, operations);
    }

    public async ValueTask DisposeAsync()
    {
        await Membership.DisposeAsync();
        await Operations.DisposeAsync();
        await Bodies.DisposeAsync();
        _dir.Dispose();
    }
}
