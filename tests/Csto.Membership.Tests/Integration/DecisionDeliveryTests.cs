using Csto.Bodies.V1;
using Csto.EventLog.Inbox;
using Csto.EventLog.Relay;
using Csto.Membership.V1;
using Csto.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Csto.Membership.Tests.Integration.MembershipWorld;

namespace Csto.Membership.Tests.Integration;

[Collection("broker")]
public sealed class DecisionDeliveryTests(RabbitMqFixture broker)
{
    [Fact]
    public async Task A_suspension_adopted_by_the_council_is_applied_once_even_when_delivered_twice()
    {
        await using var world = await StartAsync(broker);
        await world.Client.RecordSignatureAsync(new RecordSignatureRequest { State = "UZB", EffectiveDate = Date("1992-05-15"), Cause = Treaty("Collective Security Treaty") });
        await world.Client.RecordEntryIntoForceAsync(new RecordEntryIntoForceRequest { State = "UZB", EffectiveDate = Date("1994-04-20"), Cause = Treaty("ratification") });

        var decision = await world.AdoptAsync("csc-2012-12-19-3", "2012-12-19", new DecisionPayload { SuspendMember = new SuspendMember { State = "UZB", Grounds = "at its request" } });
        await Eventually.UntilAsync(async () => await world.StatusAsync("UZB", "2012-12-19") == MemberStatus.Suspended, TimeSpan.FromSeconds(60), "UZB suspended over RabbitMQ");
        var head = world.MembershipLog.HeadPosition;

        // second delivery over the broker (operator republish), then a marker decision that membership ignores:
        // once the marker is processed the republished copy has been consumed too
        var republished = await world.Bodies.Services.GetRequiredService<EventRelay>().RepublishAsync(decision.Position, decision.Position, CancellationToken.None);
        Assert.Equal(1, republished);
        await world.AdoptAsync("csc-marker", "2012-12-19", new DecisionPayload { CollectiveStatement = new CollectiveStatement { Title = "marker" } });
        await Eventually.UntilAsync(async () => await world.ProcessedDecisionsAsync() == 2, TimeSpan.FromSeconds(60), "the marker decision processed");
        await Task.Delay(300);

        // and a third, handed straight to the inbox
        await world.Membership.Services.GetRequiredService<EventInbox>().DeliverAsync(decision, CancellationToken.None);

        Assert.Equal(head, world.MembershipLog.HeadPosition);
        var stream = await world.MembershipLog.ReadStreamAsync("member-UZB");
        Assert.Single(stream, r => r.Type == ParticipationSuspended.Descriptor.FullName);
        Assert.Single(stream, r => r.Type == AdoptedDecisionReceived.Descriptor.FullName);
        var suspended = stream.Single(r => r.Type == ParticipationSuspended.Descriptor.FullName);
        Assert.Equal(decision.EventId, suspended.Metadata.CausationId);
        var uzb = (await world.Client.GetMemberStateAsync(new GetMemberStateRequest { State = "UZB", AsOf = Date("2013-01-01") })).MemberState;
        Assert.Equal(MemberStatus.Suspended, uzb.Status);
        Assert.Equal("decisions/csc-2012-12-19-3", uzb.Periods[^1].Cause.Decision);
        Assert.Equal(2, await world.ProcessedDecisionsAsync());
    }

    [Fact]
    public async Task A_decision_the_rules_refuse_is_kept_so_that_it_can_be_named_later_and_changes_no_status()
    {
        await using var world = await StartAsync(broker);

        // suspending a state that is not a member: received, not applied
        await world.AdoptAsync("csc-x", "2013-01-01", new DecisionPayload { SuspendMember = new SuspendMember { State = "SRB" } });
        await Eventually.UntilAsync(async () => await world.ProcessedDecisionsAsync() == 1, TimeSpan.FromSeconds(60), "the decision processed");
        var srb = (await world.Client.GetMemberStateAsync(new GetMemberStateRequest { State = "SRB", AsOf = Date("2013-01-01") })).MemberState;
        Assert.Equal(MemberStatus.Unspecified, srb.Status);
        Assert.Equal(["decisions/csc-x"], srb.ReceivedDecisions);

        var head = world.MembershipLog.HeadPosition;
        await ExpectErrorAsync(() => world.Client.SuspendParticipationAsync(new SuspendParticipationRequest { State = "SRB", Cause = Decision("csc-x") }).ResponseAsync,
            Grpc.Core.StatusCode.FailedPrecondition, "NOT_A_MEMBER");
        Assert.Equal(head, world.MembershipLog.HeadPosition);
    }
}
