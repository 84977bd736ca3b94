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
using Xunit;

namespace Csto.Bodies.Tests;

[CollectionDefinition("broker")]
public sealed class BrokerCollection : ICollectionFixture<RabbitMqFixture>;

/// <summary>
/// The bodies service on a real broker, with a stand-in membership service (only its event log) whose relay
/// publishes MemberStatusChanged to the bodies service over RabbitMQ.
/// </summary>
sealed class Suite : IAsyncDisposable
{
    readonly TempDir _dir;
    readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    long _fed;

    Suite(TempDir dir, ServiceHost bodies, ServiceHost membership, ServiceHost? operations)
    {
        _dir = dir;
        BodiesHost = bodies;
        Membership = membership;
        Operations = operations;
        Client = new BodiesService.BodiesServiceClient(bodies.Channel);
    }

    public ServiceHost BodiesHost { get; }

    public ServiceHost Membership { get; }

    /// <summary>A stand-in operations service (only its event log), when asked for.</summary>
    public ServiceHost? Operations { get; }

    public BodiesService.BodiesServiceClient Client { get; }

    public IEventStore Log => BodiesHost.Services.GetRequiredService<IEventStore>();

    public static async Task<Suite> StartAsync(RabbitMqFixture broker, bool withOperations = false)
    {
        var url = await broker.NewVirtualHostUrlAsync();
        var dir = new TempDir();
        // bodies first: its queue must be bound before membership publishes
        var bodies = await ServiceHost.StartAsync("bodies", url, dir.Path, Csto.Bodies.BodiesHost.Configure, Csto.Bodies.BodiesHost.Map);
        var membership = await ServiceHost.StartAsync("membership", url, dir.Path, b => b.AddEventLog("membership"), app => app.MapEventLog());
        var operations = withOperations ? await ServiceHost.StartAsync("operations", url, dir.Path, b => b.AddEventLog("operations"), app => app.MapEventLog()) : null;
        return new Suite(dir, bodies, membership, operations);
    }

    /// <summary>domain.md's membership timeline up to <paramref name="until"/>, recorded in the membership log and awaited in the bodies roster.</summary>
    public async Task FeedRosterAsync(DateOnly until)
    {
        var acts = new List<(string, MemberStatus, DateOnly)>();
        foreach (var s in Given.Founders)
        {
            acts.Add((s, MemberStatus.Signatory, s == "BLR" ? new(1993, 12, 31) : new(1992, 5, 15)));
            acts.Add((s, MemberStatus.Member, new(1994, 4, 20)));
        }

        acts.AddRange([("UZB", MemberStatus.Signatory, new(1992, 5, 15)), ("UZB", MemberStatus.Member, new(1994, 4, 20)), ("UZB", MemberStatus.Withdrawn, new(1999, 4, 20)), ("UZB", MemberStatus.Member, new(2006, 6, 23))]);
        acts.Add(("UZB", MemberStatus.Suspended, new(2012, 12, 19)));
        acts.Add(("ARM", MemberStatus.Frozen, new(2024, 2, 22)));
        await FeedAsync([.. acts.Where(a => a.Item3 <= until)]);
    }

    public async Task FeedAsync(params (string State, MemberStatus Status, DateOnly Date)[] acts)
    {
        var store = Membership.Services.GetRequiredService<IEventStore>();
        foreach (var (state, status, date) in acts)
        {
            var version = _versions[state] = _versions.GetValueOrDefault(state) + 1;
            var change = new MemberStatusChanged { State = state, NewStatus = status, EffectiveDate = date.ToProto(), StreamVersion = version, Cause = new Cause { TreatyAct = "test" } };
            await store.AppendAsync(new AppendRequest("member-" + state, version - 1, [NewEvent.From(change, new EventMetadata { CorrelationId = "roster", EffectiveTime = date.ToEffectiveTime() })]));
        }

        _fed += acts.Length;
        await Eventually.UntilAsync(async () => (await Log.GetConsumersAsync()).SingleOrDefault(c => c.Name == "bodies-roster")?.ProcessedCount == _fed,
            TimeSpan.FromSeconds(60), $"{_fed} status changes in the bodies roster");
    }

    public Task<ConveneSessionResponse> ConveneAsync(string id, DateOnly date, string place, string host, bool regular = true, string body = "csc") =>
        Client.ConveneSessionAsync(new ConveneSessionRequest { Body = "bodies/" + body, SessionId = id, Date = date.ToProto(), Place = place, HostState = host, Regular = regular }).ResponseAsync;

    public Task<TableDraftResponse> TableAsync(string session, string id, string title, DecisionPayload payload) =>
        Client.TableDraftAsync(new TableDraftRequest { Session = "sessions/" + session, DraftId = id, Title = title, Payload = payload }).ResponseAsync;

    public async Task PositionsAsync(string draft, Position position, params string[] states)
    {
        foreach (var s in states)
        {
            await Client.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/" + draft, State = s, Position = position });
        }
    }

    public Task<CloseDraftResponse> DecideAsync(string draft, string requestId = "") =>
        Client.CloseDraftAsync(new CloseDraftRequest { Draft = "drafts/" + draft, Action = CloseAction.Decide, RequestId = requestId }).ResponseAsync;

    /// <summary>The call fails with the code and the rule (ErrorInfo.reason) or field (BadRequest), and the log did not grow.</summary>
    public async Task RefusedAsync(StatusCode code, string reasonOrField, Func<Task> call)
    {
        var head = Log.HeadPosition;
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, ex.StatusCode);
        var status = ex.GetRpcStatus();
        Assert.NotNull(status);
        var named = code == StatusCode.InvalidArgument ? status!.GetDetail<BadRequest>()?.FieldViolations[0].Field : status!.GetDetail<ErrorInfo>()?.Reason;
        Assert.Equal(reasonOrField, named);
        Assert.Equal(head, Log.HeadPosition);
    }

    public async ValueTask DisposeAsync()
    {
        if (Operations is not null)
        {
            await Operations.DisposeAsync();
        }

        await Membership.DisposeAsync();
        await BodiesHost.DisposeAsync();
        _dir.Dispose();
    }
}
