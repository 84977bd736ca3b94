using Csto.Bodies.V1;
using Csto.Membership.Decisions;
using Csto.Membership.Members;
using Csto.Membership.V1;
using static Csto.Membership.Tests.Specs.Spec;

namespace Csto.Membership.Tests.Specs;

public sealed class DecisionAdoptedSpecs
{
    static readonly ReceivedDecision Suspend = new("decisions/csc-2012-12-19-3", DecisionAct.Suspend, D("2012-12-19"), "at the request of the state");

    [Fact]
    public void An_adopted_suspension_is_recorded_as_received_and_applied_on_its_date()
    {
        var spec = For("UZB").GivenFoundingMember();
        var events = MemberDecider.OnDecisionAdopted(spec.State, Suspend);
        Assert.Collection(events,
            e => Assert.True(Assert.IsType<AdoptedDecisionReceived>(e).Applied),
            e => Assert.Equal("at the request of the state", Assert.IsType<ParticipationSuspended>(e).Grounds),
            e => Assert.Equal(MemberStatus.Suspended, Assert.IsType<MemberStatusChanged>(e).NewStatus));
        Assert.Equal(spec.State.Version + 3, ((MemberStatusChanged)events[2]).StreamVersion);
        Assert.Equal(MemberStatus.Suspended, spec.Apply(events).State.StatusOn(D("2012-12-20")));
    }

    [Fact]
    public void A_decision_received_again_changes_nothing()
    {
        var spec = For("UZB").GivenFoundingMember();
        spec.Apply(MemberDecider.OnDecisionAdopted(spec.State, Suspend));
        Assert.Empty(MemberDecider.OnDecisionAdopted(spec.State, Suspend));
    }

    [Fact]
    public void A_decision_the_rules_refuse_is_kept_as_received_with_the_reason_and_changes_no_status()
    {
        var spec = For("UZB").GivenFoundingMember().Given(MemberAct.Freeze, "2013-01-01", Notice("n"));
        var events = MemberDecider.OnDecisionAdopted(spec.State, Suspend);
        var received = Assert.IsType<AdoptedDecisionReceived>(Assert.Single(events));
        Assert.False(received.Applied);
        Assert.Equal("ACTS_OUT_OF_ORDER", received.RejectionReason);
    }

    [Fact]
    public void The_act_takes_the_date_the_payload_names_else_the_decisions_effective_date()
    {
        var adopted = new DecisionAdopted
        {
            Decision = "decisions/d1",
            EffectiveDate = new Csto.Common.V1.Date { Year = 2012, Month = 12, Day = 19 },
            Payload = new DecisionPayload { SuspendMember = new SuspendMember { State = "UZB", Grounds = "g" } },
        };
        var intake = DecisionIntake.From(adopted, out var state);
        Assert.Equal("UZB", state);
        Assert.Equal(new ReceivedDecision("decisions/d1", DecisionAct.Suspend, D("2012-12-19"), "g"), intake);

        adopted.Payload.SuspendMember.EffectiveDate = new Csto.Common.V1.Date { Year = 2013, Month = 1, Day = 1 };
        Assert.Equal(D("2013-01-01"), DecisionIntake.From(adopted, out _)?.EffectiveDate);
    }

    [Fact]
    public void Decisions_that_concern_no_membership_act_are_ignored() =>
        Assert.Null(DecisionIntake.From(new DecisionAdopted
        {
            Decision = "decisions/d2",
            EffectiveDate = new Csto.Common.V1.Date { Year = 2014, Month = 1, Day = 1 },
            Payload = new DecisionPayload { CollectiveStatement = new CollectiveStatement { Title = "t" } },
        }, out _));
}
