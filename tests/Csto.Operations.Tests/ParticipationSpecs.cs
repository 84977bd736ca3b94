using Csto.Testing;
using Csto.Common.V1;
using Csto.Membership.V1;
using Csto.Operations.Operations;
using Csto.Operations.Participants;
using Csto.Operations.V1;
using Xunit;
using static Csto.Operations.Tests.Given;

namespace Csto.Operations.Tests;

public sealed class ParticipationSpecs
{
    static JoinOperation Join(string state, string day = "2012-03-01", params Agency[] agencies) =>
        new(state, agencies.Length == 0 ? [Agency.DrugControl, Agency.Customs] : agencies, D(day));

    [Fact]
    public void A_member_with_a_voice_joins_with_its_agencies()
    {
        var joined = Then.Single<ParticipantJoined>(Participation.Join(Channel(), Members(), Join("KAZ", "2012-03-01", Agency.Police, Agency.Border, Agency.Police)));
        Assert.Equal("KAZ", joined.State);
        Assert.Equal([Agency.Police, Agency.Border], joined.Agencies);
        Assert.Equal(D("2012-03-01"), joined.JoinDate);
    }

    [Fact]
    public void A_suspended_member_cannot_join() =>
        Then.Refused(Participation.Join(Channel(), Members(("UZB", MemberStatus.Suspended, "2012-12-19")), Join("UZB", "2013-01-10")), "STATE_HAS_NO_VOICE");

    [Fact]
    public void A_member_may_join_before_its_suspension_takes_effect() =>
        Then.Single<ParticipantJoined>(Participation.Join(Channel(), Members(("UZB", MemberStatus.Suspended, "2012-12-19")), Join("UZB", "2012-12-18")));

    [Fact]
    public void A_member_that_froze_its_participation_cannot_join() =>
        Then.Refused(Participation.Join(Channel(), Members(("ARM", MemberStatus.Frozen, "2024-02-22")), Join("ARM", "2024-05-01")), "STATE_HAS_NO_VOICE");

    [Fact]
    public void A_withdrawn_state_cannot_join() =>
        Then.Refused(Participation.Join(Channel(), Members(("UZB", MemberStatus.Withdrawn, "2012-12-20")), Join("UZB", "2013-01-10")), "STATE_HAS_NO_VOICE");

    [Fact]
    public void A_state_unknown_to_the_roster_cannot_join() =>
        Then.Refused(Participation.Join(Channel(), Members(), Join("IRN")), "STATE_HAS_NO_VOICE");

    [Fact]
    public void Joining_before_the_operation_starts_is_refused() =>
        Then.Refused(Participation.Join(Channel(), Members(), Join("KAZ", "2007-12-31")), "DATE_OUTSIDE_OPERATION");

    [Fact]
    public void Joining_after_the_end_date_is_refused()
    {
        var illegal = Operation(Authorize("Illegal", OperationKind.IllegalMigration, "2006-06-01", "2006-06-30", permanent: false));
        Then.Refused(Participation.Join(illegal, Members(), Join("KAZ", "2006-07-01")), "OPERATION_CLOSED");
    }

    [Fact]
    public void Joining_after_the_operation_closed_is_refused()
    {
        var closed = Channel(new OperationClosed { Operation = "operations/channel", EndDate = D("2030-12-31"), Reason = CloseReason.Decision });
        Then.Refused(Participation.Join(closed, Members(), Join("KAZ", "2012-03-01")), "OPERATION_CLOSED");
    }

    [Fact]
    public void A_participant_does_not_join_twice() =>
        Then.Refused(Participation.Join(Channel(Joined("KAZ")), Members(), Join("KAZ")), "ALREADY_PARTICIPANT");

    [Fact]
    public void A_participant_names_at_least_one_agency() =>
        Then.Invalid(Participation.Join(Channel(), Members(), new JoinOperation("KAZ", [], D("2012-03-01"))), "agencies");

    [Fact]
    public void An_unknown_agency_is_invalid() =>
        Then.Invalid(Participation.Join(Channel(), Members(), new JoinOperation("KAZ", [Agency.Police, (Agency)99], D("2012-03-01"))), "agencies[1]");

    [Fact]
    public void A_malformed_state_code_is_invalid() =>
        Then.Invalid(Participation.Join(Channel(), Members(), Join("Kz")), "state");

    [Fact]
    public void An_impossible_join_date_is_invalid() =>
        Then.Invalid(Participation.Join(Channel(), Members(), new JoinOperation("KAZ", [Agency.Police], new Common.V1.Date { Year = 2012, Month = 2, Day = 30 })), "join_date");

    [Fact]
    public void An_international_organization_is_admitted_as_observer()
    {
        var admitted = Then.Single<ObserverAdmitted>(Participation.Admit(Channel(), Members(), new AdmitObserver("UNODC", ObserverKind.Organization, D("2025-05-18"), "")));
        Assert.Equal("UNODC", admitted.Observer);
    }

    [Fact]
    public void A_non_member_state_is_admitted_as_observer_of_a_stage() =>
        Assert.Equal(Outpost, Then.Single<ObserverAdmitted>(Participation.Admit(Channel(MountainOutpost()), Members(), new AdmitObserver("IRN", ObserverKind.State, D("2025-05-18"), Outpost))).Stage);

    [Fact]
    public void A_member_state_is_not_an_observer() =>
        Then.Refused(Participation.Admit(Channel(), Members(), new AdmitObserver("KAZ", ObserverKind.State, D("2012-03-01"), "")), "OBSERVER_IS_MEMBER");

    [Fact]
    public void A_state_that_left_may_observe() =>
        Then.Single<ObserverAdmitted>(Participation.Admit(Channel(), Members(("UZB", MemberStatus.Withdrawn, "2012-12-20")), new AdmitObserver("UZB", ObserverKind.State, D("2013-02-01"), "")));

    [Fact]
    public void An_observer_of_an_unknown_stage_is_refused() =>
        Then.Refused(Participation.Admit(Channel(), Members(), new AdmitObserver("IRN", ObserverKind.State, D("2025-05-18"), Outpost)), "UNKNOWN_STAGE");

    [Fact]
    public void An_observer_without_a_kind_is_invalid() =>
        Then.Invalid(Participation.Admit(Channel(), Members(), new AdmitObserver("UNODC", ObserverKind.Unspecified, D("2025-05-18"), "")), "kind");

    [Fact]
    public void A_malformed_organization_code_is_invalid() =>
        Then.Invalid(Participation.Admit(Channel(), Members(), new AdmitObserver("un odc", ObserverKind.Organization, D("2025-05-18"), "")), "observer");

    [Fact]
    public void An_observer_is_not_admitted_twice() =>
        Then.Refused(Participation.Admit(Channel(Observing("CHN")), Members(), new AdmitObserver("CHN", ObserverKind.State, D("2025-05-18"), "")), "ALREADY_OBSERVER");

    [Fact]
    public void An_observer_does_not_join_as_participant() =>
        Then.Refused(Participation.Join(Channel(Observing("UZB")), Members(), Join("UZB")), "ALREADY_OBSERVER");
}
