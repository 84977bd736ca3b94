using Csto.Membership.Members;
using Csto.Membership.V1;
using static Csto.Membership.Tests.Specs.Spec;

namespace Csto.Membership.Tests.Specs;

public sealed class ParticipationSpecs
{
    [Fact]
    public void Suspension_without_a_decision_is_refused_because_it_is_reserved_to_the_council() =>
        For("UZB").GivenFoundingMember().When(MemberAct.Suspension, "2012-12-19", Notice("notice of 2012-06")).ThenRefused("DECISION_REQUIRED");

    [Fact]
    public void Suspension_naming_a_decision_this_service_has_not_received_is_refused() =>
        For("UZB").GivenFoundingMember().When(MemberAct.Suspension, "2012-12-19", Decision("csc-2012-12-19-1")).ThenRefused("DECISION_NOT_SEEN");

    [Fact]
    public void Suspension_naming_a_received_suspending_decision_suspends_the_member()
    {
        var suspended = For("UZB").GivenFoundingMember().GivenDecisionReceived("csc-1", DecisionAct.Suspend, "2012-12-19")
            .When(MemberAct.Suspension, "2012-12-19", Decision("csc-1"))
            .ThenStatusChanges<ParticipationSuspended>(MemberStatus.Member, MemberStatus.Suspended, "2012-12-19");
        Assert.Equal("decisions/csc-1", suspended.Cause.Decision);
    }

    [Fact]
    public void Suspension_without_a_date_takes_the_date_the_decision_names() =>
        For("UZB").GivenFoundingMember().GivenDecisionReceived("csc-1", DecisionAct.Suspend, "2012-12-19")
            .When(MemberAct.Suspension, null, Decision("csc-1"))
            .ThenStatusChanges<ParticipationSuspended>(MemberStatus.Member, MemberStatus.Suspended, "2012-12-19");

    [Fact]
    public void A_date_other_than_the_decisions_is_refused() =>
        For("UZB").GivenFoundingMember().GivenDecisionReceived("csc-1", DecisionAct.Suspend, "2012-12-19")
            .When(MemberAct.Suspension, "2012-12-20", Decision("csc-1")).ThenRefused("DECISION_DATE_MISMATCH");

    [Fact]
    public void A_decision_of_another_kind_does_not_authorize_the_act() =>
        For("UZB").GivenFoundingMember().GivenDecisionReceived("csc-1", DecisionAct.Restore, "2012-12-19")
            .When(MemberAct.Suspension, "2012-12-19", Decision("csc-1")).ThenRefused("DECISION_DOES_NOT_MATCH");

    [Fact]
    public void Suspending_a_state_that_is_not_a_member_is_refused() =>
        For("SRB").GivenDecisionReceived("csc-1", DecisionAct.Suspend, "2012-12-19")
            .When(MemberAct.Suspension, "2012-12-19", Decision("csc-1")).ThenRefused("NOT_A_MEMBER");

    [Fact]
    public void Suspending_twice_is_refused() =>
        For("UZB").GivenFoundingMember().GivenDecisionReceived("csc-1", DecisionAct.Suspend, "2012-12-19")
            .Given(MemberAct.Suspension, "2012-12-19", Decision("csc-1"))
            .GivenDecisionReceived("csc-2", DecisionAct.Suspend, "2013-01-01")
            .When(MemberAct.Suspension, "2013-01-01", Decision("csc-2")).ThenRefused("ALREADY_SUSPENDED");

    [Fact]
    public void Naming_a_decision_whose_act_is_already_recorded_records_nothing_new() =>
        For("UZB").GivenFoundingMember().GivenDecisionReceived("csc-1", DecisionAct.Suspend, "2012-12-19")
            .Given(MemberAct.Suspension, "2012-12-19", Decision("csc-1"))
            .When(MemberAct.Suspension, "2012-12-19", Decision("csc-1")).ThenNothingNew();

    [Fact]
    public void Restoration_by_a_received_decision_gives_the_member_its_voice_back() =>
        For("UZB").GivenFoundingMember().GivenDecisionReceived("csc-1", DecisionAct.Suspend, "2012-12-19")
            .Given(MemberAct.Suspension, "2012-12-19", Decision("csc-1"))
            .GivenDecisionReceived("csc-2", DecisionAct.Restore, "2014-01-01")
            .When(MemberAct.Restoration, "2014-01-01", Decision("csc-2"))
            .ThenStatusChanges<ParticipationRestored>(MemberStatus.Suspended, MemberStatus.Member, "2014-01-01");

    [Fact]
    public void Restoring_a_member_that_is_not_suspended_is_refused() =>
        For("KAZ").GivenFoundingMember().GivenDecisionReceived("csc-2", DecisionAct.Restore, "2014-01-01")
            .When(MemberAct.Restoration, "2014-01-01", Decision("csc-2")).ThenRefused("NOT_SUSPENDED");

    [Fact]
    public void A_member_may_freeze_its_own_participation_by_declaration() =>
        For("ARM").GivenFoundingMember().When(MemberAct.Freeze, "2024-02-22", Notice("statement of the Prime Minister 2024-02-22"))
            .ThenStatusChanges<ParticipationFrozen>(MemberStatus.Member, MemberStatus.Frozen, "2024-02-22");

    [Fact]
    public void Freezing_twice_is_refused() =>
        For("ARM").GivenFoundingMember().Given(MemberAct.Freeze, "2024-02-22", Notice("statement"))
            .When(MemberAct.Freeze, "2024-03-01", Notice("again")).ThenRefused("ALREADY_FROZEN");

    [Fact]
    public void A_state_that_is_not_a_member_cannot_freeze() =>
        For("SRB").When(MemberAct.Freeze, "2024-03-01", Notice("statement")).ThenRefused("NOT_A_MEMBER");

    [Fact]
    public void Unfreezing_a_frozen_member_makes_it_take_part_again() =>
        For("ARM").GivenFoundingMember().Given(MemberAct.Freeze, "2024-02-22", Notice("statement"))
            .When(MemberAct.Unfreeze, "2025-01-01", Notice("statement 2"))
            .ThenStatusChanges<ParticipationUnfrozen>(MemberStatus.Frozen, MemberStatus.Member, "2025-01-01");

    [Fact]
    public void Unfreezing_a_member_that_is_not_frozen_is_refused() =>
        For("ARM").GivenFoundingMember().When(MemberAct.Unfreeze, "2025-01-01", Notice("statement")).ThenRefused("NOT_FROZEN");

    [Fact]
    public void Exclusion_by_a_received_decision_ends_membership() =>
        For("KGZ").GivenFoundingMember().GivenDecisionReceived("csc-9", DecisionAct.Exclude, "2030-01-01")
            .When(MemberAct.Exclusion, "2030-01-01", Decision("csc-9"))
            .ThenStatusChanges<MemberExcluded>(MemberStatus.Member, MemberStatus.Withdrawn, "2030-01-01");

    [Fact]
    public void Exclusion_without_a_decision_is_refused() =>
        For("KGZ").GivenFoundingMember().When(MemberAct.Exclusion, "2030-01-01", Notice("n")).ThenRefused("DECISION_REQUIRED");

    [Fact]
    public void Accession_after_entry_into_force_needs_an_admitting_decision() =>
        For("UZB").When(MemberAct.Accession, "2006-06-23", Treaty("protocol")).ThenRefused("DECISION_REQUIRED");

    [Fact]
    public void Accession_by_a_received_admitting_decision_makes_a_member_at_once()
    {
        var acceded = For("UZB").Given(MemberAct.Signature, "1992-05-15", Treaty()).Given(MemberAct.EntryIntoForce, "1994-04-20", Treaty("r"))
            .Given(MemberAct.TermEnd, "1999-04-20", Treaty("protocol"))
            .GivenDecisionReceived("csc-2006", DecisionAct.Admit, "2006-06-23")
            .When(MemberAct.Accession, "2006-06-23", Decision("csc-2006"))
            .ThenStatusChanges<StateAcceded>(MemberStatus.Withdrawn, MemberStatus.Member, "2006-06-23");
        Assert.Equal(MemberStatus.Member, acceded.ResultingStatus);
    }

    [Fact]
    public void Admitting_a_state_that_is_already_a_member_is_refused() =>
        For("KAZ").GivenFoundingMember().GivenDecisionReceived("csc-1", DecisionAct.Admit, "2006-06-23")
            .When(MemberAct.Accession, "2006-06-23", Decision("csc-1")).ThenRefused("ALREADY_A_PARTY");
}
