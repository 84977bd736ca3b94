using Csto.Testing;
using Csto.Membership.V1;
using Csto.Operations.Api;
using Csto.Operations.Outcomes;
using Csto.Operations.Participants;
using Csto.Operations.V1;
using Xunit;
using static Csto.Operations.Tests.Given;

namespace Csto.Operations.Tests;

public sealed class LeavingSpecs
{
    static readonly KgConversion Kg = KgConversion.Default;

    static ReportOutcome Report(string state, string day) => new("r9", state, "", D(day), Seizures(Seized(Substance.Heroin, 1)));

    static JoinOperation Join(string state, string day) => new(state, [Agency.Customs], D(day));

    [Fact]
    public void A_participant_leaves_on_its_last_day_with_a_reason()
    {
        var left = Then.Single<ParticipantLeft>(Participation.Leave(Channel(Joined("UZB", "2008-01-10")), new LeaveOperation("UZB", D("2012-06-28"), " suspended its participation ")));

        Assert.Equal(("UZB", D("2012-06-28"), "suspended its participation"), (left.State, left.LeftOn, left.Reason));
        var channel = Channel(Joined("UZB", "2008-01-10"), left);
        var view = Mapping.ToApi(channel.Participants["UZB"], channel, Members(), Day("2026-12-07"));
        Assert.Equal(D("2012-06-28"), view.LeftOn);
        Assert.Equal("suspended its participation", view.ReasonLeft);
    }

    [Fact]
    public void A_state_that_does_not_take_part_cannot_leave() =>
        Then.Refused(Participation.Leave(Channel(Joined("RUS")), new LeaveOperation("KAZ", D("2012-06-28"), "")), "NOT_A_PARTICIPANT");

    [Fact]
    public void A_participant_cannot_leave_before_it_joined() =>
        Then.Refused(Participation.Leave(Channel(Joined("KAZ", "2012-03-01")), new LeaveOperation("KAZ", D("2012-02-28"), "")), "LEAVING_BEFORE_JOINING");

    [Fact]
    public void A_participant_leaves_once() =>
        Then.Refused(Participation.Leave(Channel(Joined("KAZ"), Left("KAZ", "2012-01-01")), new LeaveOperation("KAZ", D("2013-01-01"), "")), "ALREADY_LEFT");

    [Fact]
    public void Leaving_needs_a_valid_date_and_a_state_code()
    {
        Then.Invalid(Participation.Leave(Channel(Joined("KAZ")), new LeaveOperation("KAZ", null, "")), "left_on");
        Then.Invalid(Participation.Leave(Channel(Joined("KAZ")), new LeaveOperation("KAZ", new Common.V1.Date { Year = 2012, Month = 2, Day = 30 }, "")), "left_on");
        Then.Invalid(Participation.Leave(Channel(Joined("KAZ")), new LeaveOperation("kaz", D("2012-01-01"), "")), "state");
    }

    [Fact]
    public void A_participant_cannot_leave_before_reports_it_dated_later() =>
        Then.Refused(Participation.Leave(Channel(Joined("KAZ"), Reported("KAZ", "2012-05-10", Seizures(Seized(Substance.Heroin, 1)))), new LeaveOperation("KAZ", D("2012-05-01"), "")), "REPORTS_AFTER_LEAVING");

    [Fact]
    public void A_report_dated_after_the_state_left_is_refused_and_one_dated_on_its_last_day_is_accepted()
    {
        var channel = Channel(Joined("KAZ"), Left("KAZ", "2012-06-30"));
        Then.Refused(Reporting.Report(channel, Members(), Kg, Report("KAZ", "2012-07-01")), "PARTICIPANT_LEFT");
        Then.Single<OutcomeReported>(Reporting.Report(channel, Members(), Kg, Report("KAZ", "2012-06-30")));
    }

    [Fact]
    public void A_state_that_left_joins_again_from_a_later_day_and_reports_for_its_periods_only()
    {
        var left = Channel(Joined("KAZ", "2008-01-10"), Left("KAZ", "2012-06-30"));
        Then.Refused(Participation.Join(left, Members(), Join("KAZ", "2012-06-30")), "REJOINING_BEFORE_LEAVING");
        var rejoined = Then.Single<ParticipantJoined>(Participation.Join(left, Members(), Join("KAZ", "2014-01-01")));
        var channel = Channel(Joined("KAZ", "2008-01-10"), Left("KAZ", "2012-06-30"), rejoined);

        var kaz = channel.Participants["KAZ"];
        Assert.False(kaz.HasLeft);
        Assert.Equal(Day("2014-01-01"), kaz.JoinDate);
        Assert.Equal([Agency.Customs], kaz.Agencies.ToArray());
        Then.Single<OutcomeReported>(Reporting.Report(channel, Members(), Kg, Report("KAZ", "2012-01-15")));
        Then.Refused(Reporting.Report(channel, Members(), Kg, Report("KAZ", "2013-05-01")), "PARTICIPANT_LEFT");
        Then.Single<OutcomeReported>(Reporting.Report(channel, Members(), Kg, Report("KAZ", "2014-02-01")));
        Then.Refused(Participation.Join(channel, Members(), Join("KAZ", "2015-01-01")), "ALREADY_PARTICIPANT");

        var view = Mapping.ToApi(kaz, channel, Members(), Day("2026-12-07"));
        Assert.Equal(D("2014-01-01"), view.JoinDate);
        Assert.Null(view.LeftOn);
        Assert.Equal([(D("2008-01-10"), D("2012-06-30")), (D("2014-01-01"), null)], view.Periods.Select(p => (p.JoinDate, (Common.V1.Date?)p.LeftOn)));
    }

    [Fact]
    public void The_list_of_a_states_operations_leaves_out_those_it_left_by_the_date()
    {
        var channel = Channel(Joined("KAZ", "2008-01-10"), Left("KAZ", "2012-06-30"));
        Assert.True(channel.Participants["KAZ"].TakesPartOn(Day("2012-06-30")));
        Assert.False(channel.Participants["KAZ"].TakesPartOn(Day("2012-07-01")));
    }

    [Fact]
    public void A_member_whose_participation_is_frozen_reports_nothing_dated_while_it_is_frozen() =>
        Then.Refused(Reporting.Report(Channel(Joined("ARM")), Members(("ARM", MemberStatus.Frozen, "2024-02-22")), Kg, Report("ARM", "2024-05-01")), "STATE_HAS_NO_VOICE");

    [Fact]
    public void A_suspended_participant_reports_again_for_dates_after_its_voice_is_restored_without_joining_again()
    {
        var roster = Members(("UZB", MemberStatus.Suspended, "2012-12-19"), ("UZB", MemberStatus.Member, "2013-06-01"));
        var channel = Channel(Joined("UZB", "2012-01-10"));

        Then.Single<OutcomeReported>(Reporting.Report(channel, roster, Kg, Report("UZB", "2012-12-18")));
        Then.Refused(Reporting.Report(channel, roster, Kg, Report("UZB", "2013-02-01")), "STATE_HAS_NO_VOICE");
        Then.Single<OutcomeReported>(Reporting.Report(channel, roster, Kg, Report("UZB", "2013-06-01")));
        Assert.False(channel.Participants["UZB"].HasLeft); // a pause, not a leaving
    }

    [Fact]
    public void A_participant_that_lost_its_voice_may_still_leave() =>
        Then.Single<ParticipantLeft>(Participation.Leave(Channel(Joined("UZB", "2012-01-10")), new LeaveOperation("UZB", D("2012-12-18"), "suspension of its participation in the CSTO")));
}
