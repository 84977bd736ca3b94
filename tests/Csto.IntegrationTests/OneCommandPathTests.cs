using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Operations.V1;
using Csto.Testing;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Csto.IntegrationTests;

/// <summary>Every write of the three services takes one path: the same metadata, the same retries, the same errors.</summary>
public sealed class OneCommandPathTests(RabbitMqFixture broker) : IClassFixture<RabbitMqFixture>
{
    const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

    static Cause Treaty => new() { TreatyAct = "Collective Security Treaty, Tashkent" };

    static Metadata Headers(string correlation) => new()
    {
        { "x-correlation-id", correlation },
        { "traceparent", $"00-{TraceId}-00f067aa0ba902b7-01" },
    };

    [Fact]
    public async Task A_write_in_each_service_records_the_same_metadata_and_a_retry_returns_it_without_appending()
    {
        await using var suite = await ThreeServices.StartAsync(broker);
        var membership = new MembershipService.MembershipServiceClient(suite.Membership.Channel);
        var bodies = new BodiesService.BodiesServiceClient(suite.Bodies.Channel);
        var operations = new OperationsService.OperationsServiceClient(suite.Operations.Channel);
        foreach (var state in new[] { "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK" })
        {
            await membership.RecordSignatureAsync(new RecordSignatureRequest { State = state, EffectiveDate = Date.From(new(1992, 5, 15)), Cause = Treaty });
            await membership.RecordEntryIntoForceAsync(new RecordEntryIntoForceRequest { State = state, EffectiveDate = Date.From(new(1994, 4, 20)), Cause = Treaty });
        }

        await AdoptChannelAsync(suite, bodies);
        await Eventually.UntilAsync(async () => (await operations.ListOperationsAsync(new ListOperationsRequest())).Operations.Count == 1, TimeSpan.FromSeconds(60), "Channel opened in operations");

        var m = new GrantObserverStatusRequest { State = "SRB", EffectiveDate = Date.From(new(2013, 4, 15)), Cause = new Cause { Notice = "PA decision" }, RequestId = "shape-m" };
        var b = new ConveneSessionRequest { Body = "bodies/cmfa", SessionId = "cmfa-2013", Date = Date.From(new(2013, 4, 15)), Place = "Minsk", HostState = "BLR", RequestId = "shape-b" };
        var o = new StartStageRequest { Operation = "operations/channel", DisplayName = "Channel-2013", StartDate = Date.From(new(2013, 4, 15)), EndDate = Date.From(new(2013, 4, 20)), RequestId = "shape-o" };
        await membership.GrantObserverStatusAsync(m, Headers("corr-shape"));
        await bodies.ConveneSessionAsync(b, Headers("corr-shape"));
        await operations.StartStageAsync(o, Headers("corr-shape"));

        var written = new Dictionary<string, EventMetadata>();
        foreach (var (name, host, stream) in new[] { ("membership", suite.Membership, "member-SRB"), ("bodies", suite.Bodies, "session-cmfa-2013"), ("operations", suite.Operations, "operation-channel") })
        {
            var record = (await host.Services.GetRequiredService<IEventStore>().ReadStreamAsync(stream))[^1];
            written[name] = record.Metadata;
        }

        Assert.All(written, w =>
        {
            Assert.Equal("corr-shape", w.Value.CorrelationId);
            Assert.Equal("request:shape-" + w.Key[0], w.Value.CausationId);
            Assert.StartsWith("test-harness", w.Value.Actor.Subject, StringComparison.Ordinal);
            Assert.NotEmpty(w.Value.Actor.Role);
            Assert.Contains(TraceId, w.Value.Traceparent, StringComparison.Ordinal);
            Assert.Equal(Date.From(new(2013, 4, 15)).ToDateOnly().ToEffectiveTime(), w.Value.EffectiveTime);
        });
        // the same fields set everywhere: the shape does not depend on the service
        Assert.Single(written.Values.Select(Shape).Distinct());

        // the grant's MemberStatusChanged reaches bodies and operations on its own time and each records it in its roster
        // stream: wait for it, so that the heads below count only what the retries might append
        foreach (var host in new[] { suite.Bodies, suite.Operations })
        {
            var log = host.Services.GetRequiredService<IEventStore>();
            await Eventually.UntilAsync(async () => (await log.ReadStreamAsync("roster-SRB")).Count > 0, TimeSpan.FromSeconds(60), "SRB's observer status in the roster of " + host.Services.GetRequiredService<IEventStore>().ServiceName);
        }

        var heads = suite.All.Select(s => s.Host.Services.GetRequiredService<IEventStore>().HeadPosition).ToList();
        var first = await membership.GrantObserverStatusAsync(m);
        await bodies.ConveneSessionAsync(b);
        await operations.StartStageAsync(o);
        Assert.Equal(heads, suite.All.Select(s => s.Host.Services.GetRequiredService<IEventStore>().HeadPosition).ToList());
        Assert.Equal((await suite.Membership.Services.GetRequiredService<IEventStore>().ReadStreamAsync("member-SRB")).Select(r => r.EventId), first.EventIds);
    }

    [Fact]
    public async Task The_same_invalid_state_code_gets_the_same_code_reason_and_description_from_every_service()
    {
        await using var suite = await ThreeServices.StartAsync(broker);
        var heads = suite.All.Select(s => s.Host.Services.GetRequiredService<IEventStore>().HeadPosition).ToList();
        var errors = new List<(string Field, Google.Rpc.Status Status)>
        {
            await ErrorOf("state", () => new MembershipService.MembershipServiceClient(suite.Membership.Channel)
                .RecordSignatureAsync(new RecordSignatureRequest { State = "KAS", EffectiveDate = Date.From(new(1992, 5, 15)), Cause = Treaty }).ResponseAsync),
            await ErrorOf("host_state", () => new BodiesService.BodiesServiceClient(suite.Bodies.Channel)
                .ConveneSessionAsync(new ConveneSessionRequest { Body = "bodies/csc", Date = Date.From(new(2020, 1, 1)), Place = "Almaty", HostState = "KAS" }).ResponseAsync),
            await ErrorOf("state", () => new OperationsService.OperationsServiceClient(suite.Operations.Channel)
                .ListOperationsAsync(new ListOperationsRequest { State = "KAS" }).ResponseAsync),
        };

        Assert.All(errors, e =>
        {
            Assert.Equal((int)StatusCode.InvalidArgument, e.Status.Code);
            Assert.Equal(StateCodes.NotIso, e.Status.GetDetail<ErrorInfo>()?.Reason);
            Assert.Equal(e.Field, Assert.Single(e.Status.GetDetail<BadRequest>()!.FieldViolations).Field);
        });
        Assert.Single(errors.Select(e => e.Status.GetDetail<BadRequest>()!.FieldViolations[0].Description).Distinct());
        Assert.Equal(heads, suite.All.Select(s => s.Host.Services.GetRequiredService<IEventStore>().HeadPosition).ToList());
    }

    static async Task<(string Field, Google.Rpc.Status Status)> ErrorOf(string field, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        return (field, ex.GetRpcStatus() ?? throw new InvalidOperationException("no google.rpc.Status in the trailers"));
    }

    static string Shape(EventMetadata m) => string.Join(",", EventMetadata.Descriptor.Fields.InFieldNumberOrder()
        .Where(f => f.Accessor.GetValue(m) switch { string s => s.Length > 0, null => false, _ => true })
        .Select(f => f.Name));

    static async Task AdoptChannelAsync(ThreeServices suite, BodiesService.BodiesServiceClient bodies)
    {
        // the bodies roster must know the members before it counts their positions
        var roster = suite.Bodies.Services.GetRequiredService<Csto.EventLog.Roster.RosterQueries>();
        await Eventually.UntilAsync(async () => (await roster.LoadAsync(CancellationToken.None)).On(new(2008, 1, 1)).Count(s => s.Value == MemberStatus.Member) == 6,
            TimeSpan.FromSeconds(60), "six members in the bodies roster");
        await bodies.ConveneSessionAsync(new ConveneSessionRequest { Body = "bodies/csc", SessionId = "csc-2008", Date = Date.From(new(2008, 1, 1)), Place = "Moscow", HostState = "RUS" });
        await bodies.TableDraftAsync(new TableDraftRequest
        {
            Session = "sessions/csc-2008", DraftId = "channel", Title = "Channel",
            Payload = new DecisionPayload { AuthorizeOperation = new AuthorizeOperation { Name = "Channel", Kind = OperationKind.AntiDrug, StartDate = Date.From(new(2008, 1, 1)), Permanent = true } },
        });
        foreach (var state in new[] { "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK" })
        {
            await bodies.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/channel", State = state, Position = Position.Support });
        }

        Assert.Equal(DraftStatus.Adopted, (await bodies.CloseDraftAsync(new CloseDraftRequest { Draft = "drafts/channel", Action = CloseAction.Decide })).Draft.Status);
    }
}
