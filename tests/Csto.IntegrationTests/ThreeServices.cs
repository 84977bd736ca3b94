using Csto.Bodies;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog.Roster;
using Csto.Membership;
using Csto.Membership.V1;
using Csto.Operations;
using Csto.Testing;
using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>The six states that signed in 1992 and ratified in 1994.</summary>
    public static readonly string[] FoundingStates = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"];

    /// <summary>Records the six founding members through membership and waits until bodies and operations have them on their rosters.</summary>
    public async Task SixMembersAsync()
    {
        var membership = new MembershipService.MembershipServiceClient(Membership.Channel);
        var treaty = new Cause { TreatyAct = "Collective Security Treaty, Tashkent" };
        foreach (var state in FoundingStates)
        {
            await membership.RecordSignatureAsync(new RecordSignatureRequest { State = state, EffectiveDate = Date.From(new(1992, 5, 15)), Cause = treaty });
            await membership.RecordEntryIntoForceAsync(new RecordEntryIntoForceRequest { State = state, EffectiveDate = Date.From(new(1994, 4, 20)), Cause = treaty });
        }

        foreach (var (name, host) in new[] { ("bodies", Bodies), ("operations", Operations) })
        {
            var roster = host.Services.GetRequiredService<RosterQueries>();
            await Eventually.UntilAsync(async () => (await roster.LoadAsync(CancellationToken.None)).On(new(2028, 1, 1)).Count(s => s.Value == MemberStatus.Member) == 6,
                TimeSpan.FromSeconds(60), $"six members in the {name} roster");
        }
    }

    /// <summary>A Council session on <paramref name="day"/> that adopts <paramref name="payload"/> with the support of the six founding members.</summary>
    public async Task AdoptAsync(string id, DateOnly day, DecisionPayload payload)
    {
        var bodies = new BodiesService.BodiesServiceClient(Bodies.Channel);
        await bodies.ConveneSessionAsync(new ConveneSessionRequest { Body = "bodies/csc", SessionId = id, Date = Date.From(day), Place = "Moscow", HostState = "RUS" });
        await bodies.TableDraftAsync(new TableDraftRequest { Session = "sessions/" + id, DraftId = id, Title = id, Payload = payload });
        foreach (var state in FoundingStates)
        {
            await bodies.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/" + id, State = state, Position = Position.Support });
        }

        var closed = await bodies.CloseDraftAsync(new CloseDraftRequest { Draft = "drafts/" + id, Action = CloseAction.Decide });
        if (closed.Draft.Status != DraftStatus.Adopted)
        {
            throw new InvalidOperationException($"draft {id} was not adopted: {closed.Draft.Status}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Membership.DisposeAsync();
        await Operations.DisposeAsync();
        await Bodies.DisposeAsync();
        _dir.Dispose();
    }
}
