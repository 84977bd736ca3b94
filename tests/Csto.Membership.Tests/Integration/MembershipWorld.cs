using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Hosting;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Testing;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Csto.Membership.Tests.Integration;

[CollectionDefinition("broker")]
public sealed class BrokerCollection : ICollectionFixture<RabbitMqFixture>;

/// <summary>
/// The membership service on real Kestrel, SQLite and RabbitMQ, beside a "bodies" host that has only the
/// event log: appending a DecisionAdopted to its store is how a decision reaches membership over the broker.
/// </summary>
public sealed class MembershipWorld : IAsyncDisposable
{
    readonly TempDir _dir;

    MembershipWorld(TempDir dir, ServiceHost membership, ServiceHost bodies)
    {
        _dir = dir;
        Membership = membership;
        Bodies = bodies;
        Client = new MembershipService.MembershipServiceClient(membership.Channel);
    }

    public ServiceHost Membership { get; }

    public ServiceHost Bodies { get; }

    public MembershipService.MembershipServiceClient Client { get; }

    public IEventStore MembershipLog => Membership.Services.GetRequiredService<IEventStore>();

    public IEventStore BodiesLog => Bodies.Services.GetRequiredService<IEventStore>();

    public static async Task<MembershipWorld> StartAsync(RabbitMqFixture broker)
    {
        ArgumentNullException.ThrowIfNull(broker);
        var dir = new TempDir();
        var url = await broker.NewVirtualHostUrlAsync();
        // the consumer first, so that its queue is bound before the bodies relay publishes
        var membership = await ServiceHost.StartAsync("membership", url, dir.Path, MembershipHost.Configure, MembershipHost.Map);
        var bodies = await ServiceHost.StartAsync("bodies", url, dir.Path, b => b.AddEventLog("bodies"), app => app.MapEventLog());
        return new MembershipWorld(dir, membership, bodies);
    }

    /// <summary>The bodies service adopts a decision: its log records DecisionAdopted and its relay publishes it.</summary>
    public async Task<EventRecord> AdoptAsync(string id, string date, DecisionPayload payload)
    {
        var day = Date(date);
        var adopted = new DecisionAdopted
        {
            Decision = "decisions/" + id,
            BodyId = "csc",
            Session = "sessions/" + id,
            SessionDate = day,
            EffectiveDate = day,
            Title = id,
            Payload = payload,
            Rule = DecisionRule.Consensus,
        };
        var metadata = new EventMetadata { CorrelationId = Guid.NewGuid().ToString(), EffectiveTime = Dates.ToEffectiveTime(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture)) };
        await BodiesLog.AppendAsync(new AppendRequest("decision-" + id, ExpectedVersion.NoStream, [NewEvent.From(adopted, metadata)]));
        return (await BodiesLog.ReadStreamAsync("decision-" + id)).Single();
    }

    public async Task<long> ProcessedDecisionsAsync() =>
        (await MembershipLog.GetConsumersAsync()).SingleOrDefault(c => c.Name == Decisions.DecisionAdoptedHandler.ConsumerName)?.ProcessedCount ?? 0;

    public async Task<MemberStatus> StatusAsync(string state, string asOf) =>
        (await Client.GetMemberStateAsync(new GetMemberStateRequest { State = state, AsOf = Date(asOf) })).MemberState.Status;

    public static Csto.Common.V1.Date Date(string iso)
    {
        var d = DateOnly.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);
        return new Csto.Common.V1.Date { Year = d.Year, Month = d.Month, Day = d.Day };
    }

    public static Cause Treaty(string act) => new() { TreatyAct = act };

    public static Cause Notice(string notice) => new() { Notice = notice };

    public static Cause Decision(string id) => new() { Decision = "decisions/" + id };

    /// <summary>Asserts the call failed with <paramref name="code"/> and, for INVALID_ARGUMENT, the field; else the ErrorInfo reason.</summary>
    public static async Task ExpectErrorAsync(Func<Task> call, StatusCode code, string fieldOrReason)
    {
        ArgumentNullException.ThrowIfNull(call);
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, ex.StatusCode);
        var status = ex.GetRpcStatus();
        Assert.NotNull(status);
        if (code == StatusCode.InvalidArgument)
        {
            var bad = status.GetDetail<BadRequest>();
            Assert.NotNull(bad);
            Assert.Equal(fieldOrReason, Assert.Single(bad.FieldViolations).Field);
        }
        else
        {
            Assert.Equal(fieldOrReason, status.GetDetail<ErrorInfo>()?.Reason);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Bodies.DisposeAsync();
        await Membership.DisposeAsync();
        _dir.Dispose();
    }
}
