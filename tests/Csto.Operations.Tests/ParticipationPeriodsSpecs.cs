using Csto.Membership.V1;
using Csto.Operations.Api;
using Csto.Operations.Operations;
using Csto.Operations.Participants;
using Xunit;
using static Csto.Operations.Tests.Given;

namespace Csto.Operations.Tests;

/// <summary>
/// A state takes part while it has a voice: its periods pause while it is suspended, frozen or no longer a member (the
/// roster, by effective date) and resume when that ends; every open period ends when the operation does.
/// </summary>
public sealed class ParticipationPeriodsSpecs
{
    static readonly DateOnly Today = Day("2026-12-07");

    static List<(DateOnly From, DateOnly? To, string Why)> Periods(OperationState operation, string state, Csto.EventLog.Roster.RosterView roster, DateOnly? asOf = null) =>
        [.. Participation.RealPeriods(operation.Participants[state], operation, roster, asOf ?? Today).Select(p => (p.JoinDate, p.LeftOn, p.ReasonLeft))];

    [Fact]
    public void A_member_with_its_voice_throughout_takes_part_in_one_open_period()
    {
        Assert.Equal([(Day("2008-09-05"), (DateOnly?)null, "")], Periods(Channel(Joined("RUS", "2008-09-05")), "RUS", Members()));
    }

    [Fact]
    public void A_suspended_state_stops_taking_part_on_the_eve_of_its_suspension()
    {
        var periods = Periods(Channel(Joined("UZB", "2008-09-05")), "UZB", Members(("UZB", MemberStatus.Suspended, "2012-12-19")));

        Assert.Equal([(Day("2008-09-05"), (DateOnly?)Day("2012-12-18"), "its participation in the CSTO was suspended from 2012-12-19")], periods);
    }

    [Fact]
    public void A_frozen_participation_pauses_and_resumes_when_it_is_unfrozen_without_joining_again()
    {
        var roster = Members(("ARM", MemberStatus.Frozen, "2024-02-22"), ("ARM", MemberStatus.Member, "2026-01-01"));

        var periods = Periods(Channel(Joined("ARM", "2008-09-05")), "ARM", roster);

        Assert.Equal(
            [(Day("2008-09-05"), (DateOnly?)Day("2024-02-21"), "its participation in the CSTO was frozen from 2024-02-22"), (Day("2026-01-01"), null, "")],
            periods);
    }

    [Fact]
    public void Every_open_period_ends_on_the_operations_last_day_once_it_has_ended()
    {
        var deployment = Operation(Authorize(name: "Kazakhstan 2022", kind: Common.V1.OperationKind.Peacekeeping, start: "2022-01-06", end: "2022-01-19", permanent: false, id: "kazakhstan-2022", mandate: "", outside: false),
            Joined("RUS", "2022-01-06", "operations/kazakhstan-2022"), Joined("ARM", "2022-01-06", "operations/kazakhstan-2022"));

        Assert.Equal([(Day("2022-01-06"), (DateOnly?)Day("2022-01-19"), "the operation ended on 2022-01-19")], Periods(deployment, "RUS", Members()));
        // as of a day while it ran, the period is still open
        Assert.Equal([(Day("2022-01-06"), (DateOnly?)null, "")], Periods(deployment, "ARM", Members(), asOf: Day("2022-01-10")));
    }

    [Fact]
    public void A_recorded_leaving_keeps_its_own_reason_and_a_rejoining_after_a_pause_counts_from_its_own_day()
    {
        var channel = Channel(Joined("KAZ", "2008-01-10"), Left("KAZ", "2012-06-30", "contingent withdrawn"), Joined("KAZ", "2014-01-01"));

        Assert.Equal(
            [(Day("2008-01-10"), (DateOnly?)Day("2012-06-30"), "contingent withdrawn"), (Day("2014-01-01"), null, "")],
            Periods(channel, "KAZ", Members()));
    }

    [Fact]
    public void The_api_shows_the_real_periods_beside_the_recorded_joining()
    {
        var channel = Channel(Joined("UZB", "2008-09-05"));
        var roster = Members(("UZB", MemberStatus.Suspended, "2012-12-19"));

        var view = Mapping.ToApi(channel.Participants["UZB"], channel, roster, Today);

        Assert.Equal(D("2008-09-05"), view.JoinDate);
        Assert.Null(view.LeftOn); // it never left by an act of its own
        Assert.Equal(D("2012-12-18"), view.Periods.Single().LeftOn);
    }
}
