using Csto.Membership.Members;
using Csto.Membership.V1;
using static Csto.Membership.Tests.Specs.Spec;

namespace Csto.Membership.Tests.Specs;

public sealed class TreatyActsSpecs
{
    [Fact]
    public void A_founding_signature_on_1992_05_15_makes_the_state_a_signatory()
    {
        var signed = For("KAZ").When(MemberAct.Signature, "1992-05-15", Treaty())
            .ThenStatusChanges<TreatySigned>(MemberStatus.Unspecified, MemberStatus.Signatory, "1992-05-15");
        Assert.Equal("KAZ", signed.State);
        Assert.Equal(Treaty(), signed.Cause);
    }

    [Fact]
    public void A_treaty_act_dated_before_the_treaty_was_signed_is_invalid() =>
        For("KAZ").When(MemberAct.Signature, "1992-05-14", Treaty()).ThenInvalid("effective_date");

    [Fact]
    public void A_signature_after_the_treaty_entered_into_force_is_refused_because_states_then_join_by_accession() =>
        For("SRB").When(MemberAct.Signature, "1995-01-01", Treaty()).ThenRefused("SIGNATURE_AFTER_ENTRY_INTO_FORCE");

    [Fact]
    public void Signing_twice_is_refused() =>
        For("KAZ").Given(MemberAct.Signature, "1992-05-15", Treaty()).When(MemberAct.Signature, "1992-06-01", Treaty()).ThenRefused("ALREADY_A_PARTY");

    [Fact]
    public void Entry_into_force_makes_a_signatory_a_member() =>
        For("RUS").Given(MemberAct.Signature, "1992-05-15", Treaty())
            .When(MemberAct.EntryIntoForce, "1994-04-20", Treaty("ratifications complete"))
            .ThenStatusChanges<TreatyEnteredIntoForce>(MemberStatus.Signatory, MemberStatus.Member, "1994-04-20");

    [Fact]
    public void Entry_into_force_before_1994_04_20_is_refused() =>
        For("RUS").Given(MemberAct.Signature, "1992-05-15", Treaty())
            .When(MemberAct.EntryIntoForce, "1993-01-01", Treaty("ratification")).ThenRefused("TREATY_NOT_YET_IN_FORCE");

    [Fact]
    public void Entry_into_force_for_a_state_that_never_signed_is_refused() =>
        For("CHN").When(MemberAct.EntryIntoForce, "1994-04-20", Treaty("ratification")).ThenRefused("NOT_A_SIGNATORY");

    [Fact]
    public void An_accession_before_entry_into_force_makes_a_party_awaiting_it_without_a_decision()
    {
        var acceded = For("AZE").When(MemberAct.Accession, "1993-09-24", Treaty("instrument of accession"))
            .ThenStatusChanges<StateAcceded>(MemberStatus.Unspecified, MemberStatus.Signatory, "1993-09-24");
        Assert.Equal(MemberStatus.Signatory, acceded.ResultingStatus);
    }

    [Fact]
    public void Leaving_at_the_end_of_the_first_term_without_renewal_needs_no_notice() =>
        For("GEO").Given(MemberAct.Accession, "1993-12-09", Treaty("accession"))
            .Given(MemberAct.EntryIntoForce, "1994-04-20", Treaty("ratifications complete"))
            .When(MemberAct.TermEnd, "1999-04-20", Treaty("Protocol on extension 1999 not signed"))
            .ThenStatusChanges<TermEndedWithoutRenewal>(MemberStatus.Member, MemberStatus.Withdrawn, "1999-04-20");

    [Fact]
    public void A_term_end_on_a_date_that_ends_no_term_is_refused() =>
        For("GEO").GivenFoundingMember().When(MemberAct.TermEnd, "1999-05-01", Treaty("protocol")).ThenRefused("NOT_A_TERM_END");

    [Fact]
    public void A_term_end_for_a_state_that_is_not_a_party_is_refused() =>
        For("CHN").When(MemberAct.TermEnd, "1999-04-20", Treaty("protocol")).ThenRefused("NOT_A_PARTY");

    [Fact]
    public void An_act_dated_before_the_latest_recorded_act_is_refused_so_history_is_appended_in_order() =>
        For("KAZ").GivenFoundingMember().Given(MemberAct.Freeze, "2010-01-01", Notice("note"))
            .When(MemberAct.Unfreeze, "2009-12-31", Notice("note 2")).ThenRefused("ACTS_OUT_OF_ORDER");

    [Fact]
    public void Acts_on_the_same_date_as_the_latest_act_are_in_order() =>
        For("KAZ").GivenFoundingMember().Given(MemberAct.Freeze, "2010-01-01", Notice("note"))
            .When(MemberAct.Unfreeze, "2010-01-01", Notice("note 2"))
            .ThenStatusChanges<ParticipationUnfrozen>(MemberStatus.Frozen, MemberStatus.Member, "2010-01-01");
}
