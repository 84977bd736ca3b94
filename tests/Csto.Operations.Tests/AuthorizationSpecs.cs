using Csto.Testing;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.Operations.Operations;
using Csto.Operations.V1;
using Xunit;
using static Csto.Operations.Tests.Given;

namespace Csto.Operations.Tests;

public sealed class AuthorizationSpecs
{
    [Fact]
    public void An_authorizing_decision_opens_the_operation_linked_to_it()
    {
        var opened = Then.Single<OperationOpened>(Authorization.Authorize(null, Authorize(id: "csc-2008-1")));

        Assert.Equal("operations/channel", opened.Operation);
        Assert.Equal("Channel", opened.DisplayName);
        Assert.Equal("decisions/csc-2008-1", opened.Decision);
        Assert.Equal("csc", opened.BodyId);
        Assert.True(opened.Permanent);
        Assert.Null(opened.EndDate);
        Assert.Equal(6, opened.BoundStates.Count);
    }

    [Fact]
    public void An_operation_with_an_end_date_opens_with_its_dates_and_planned_stages()
    {
        var decision = Authorize("Illegal-2006", OperationKind.IllegalMigration, "2006-06-01", "2006-06-30", permanent: false);
        decision.Payload.AuthorizeOperation.StageNames.Add("Illegal-2006 first stage");

        var opened = Then.Single<OperationOpened>(Authorization.Authorize(null, decision));

        Assert.Equal("operations/illegal-2006", opened.Operation);
        Assert.Equal(D("2006-06-30"), opened.EndDate);
        Assert.Equal(["Illegal-2006 first stage"], opened.PlannedStageNames);
    }

    [Fact]
    public void A_permanent_operation_with_an_end_date_is_invalid() =>
        Then.Invalid(Authorization.Authorize(null, Authorize(end: "2009-01-01", permanent: true)), "payload.authorize_operation.end_date");

    [Fact]
    public void A_temporary_operation_without_an_end_date_is_invalid() =>
        Then.Invalid(Authorization.Authorize(null, Authorize(permanent: false)), "payload.authorize_operation.end_date");

    [Fact]
    public void An_end_date_before_the_start_is_invalid() =>
        Then.Invalid(Authorization.Authorize(null, Authorize(start: "2010-05-01", end: "2010-04-30", permanent: false)), "payload.authorize_operation.end_date");

    [Fact]
    public void An_operation_without_a_kind_is_invalid() =>
        Then.Invalid(Authorization.Authorize(null, Authorize(kind: OperationKind.Unspecified)), "payload.authorize_operation.kind");

    [Fact]
    public void An_operation_without_a_name_is_invalid() =>
        Then.Invalid(Authorization.Authorize(null, Authorize(name: " -- ")), "payload.authorize_operation.name");

    [Fact]
    public void A_CRRF_deployment_decided_by_a_body_other_than_the_CSC_is_refused() =>
        Then.Refused(Authorization.Authorize(null, Authorize("CRRF Kazakhstan", OperationKind.CrisisResponse, "2022-01-06", "2022-01-19", false, body: "cmd")), "CSC_DECISION_REQUIRED");

    [Fact]
    public void A_CRRF_deployment_decided_by_the_CSC_opens() =>
        Then.Single<OperationOpened>(Authorization.Authorize(null, Authorize("CRRF Kazakhstan", OperationKind.CrisisResponse, "2022-01-06", "2022-01-19", false, body: "csc")));

    [Fact]
    public void Peacekeeping_outside_the_members_territory_without_a_UN_mandate_is_refused() =>
        Then.Refused(Authorization.Authorize(null, Authorize("Peace", OperationKind.Peacekeeping, "2020-01-01", "2020-06-01", false, outside: true)), "UN_MANDATE_REQUIRED");

    [Fact]
    public void Peacekeeping_outside_the_members_territory_with_a_UN_mandate_opens()
    {
        var opened = Then.Single<OperationOpened>(Authorization.Authorize(null, Authorize("Peace", OperationKind.Peacekeeping, "2020-01-01", "2020-06-01", false, mandate: "S/RES/9999 (2020)", outside: true)));
        Assert.Equal("S/RES/9999 (2020)", opened.UnMandateReference);
    }

    [Fact]
    public void Peacekeeping_on_the_members_territory_needs_no_UN_mandate() =>
        Then.Single<OperationOpened>(Authorization.Authorize(null, Authorize("Peace", OperationKind.Peacekeeping, "2020-01-01", "2020-06-01", false, outside: false)));

    [Fact]
    public void A_second_authorization_of_the_same_name_is_refused() =>
        Then.Refused(Authorization.Authorize(Channel(), Authorize(id: "d-2")), "OPERATION_ALREADY_AUTHORIZED");

    static DecisionAdopted Extend(string? end, bool permanent = false, string name = "Channel")
    {
        var x = new ExtendOperation { Name = name, Permanent = permanent };
        if (end is not null)
        {
            x.NewEndDate = D(end);
        }

        return Decision(new DecisionPayload { ExtendOperation = x }, id: "d-ext");
    }

    static DecisionAdopted Conclude(string end, string name = "Channel") =>
        Decision(new DecisionPayload { ConcludeOperation = new ConcludeOperation { Name = name, EndDate = D(end) } }, id: "d-end", effective: end);

    static readonly DecisionAdopted Illegal = Authorize("Illegal", OperationKind.IllegalMigration, "2006-06-01", "2006-06-30", permanent: false);

    [Fact]
    public void A_later_decision_extends_the_end_date()
    {
        var extended = Then.Single<OperationExtended>(Authorization.Extend(Operation(Illegal), Extend("2006-07-31", name: "Illegal")));
        Assert.Equal(D("2006-07-31"), extended.NewEndDate);
        Assert.Equal("decisions/d-ext", extended.Decision);
    }

    [Fact]
    public void A_later_decision_makes_an_operation_permanent()
    {
        var state = OperationState.Evolve(Operation(Illegal), Then.Single<OperationExtended>(Authorization.Extend(Operation(Illegal), Extend(null, permanent: true, name: "Illegal"))))!;
        Assert.True(state.Permanent);
        Assert.Null(state.End);
        Assert.Equal(["decisions/d-ext"], state.LaterDecisionsInOrder);
    }

    [Fact]
    public void An_extension_that_ends_earlier_is_refused() =>
        Then.Refused(Authorization.Extend(Operation(Illegal), Extend("2006-06-15", name: "Illegal")), "EXTENSION_NOT_LATER");

    [Fact]
    public void Extending_an_unknown_operation_is_refused() =>
        Then.Refused(Authorization.Extend(null, Extend("2006-07-31", name: "Nothing")), "OPERATION_NOT_FOUND");

    [Fact]
    public void Extending_a_closed_operation_is_refused()
    {
        var closed = Operation(Illegal, new OperationClosed { Operation = "operations/illegal", EndDate = D("2006-06-30"), Reason = CloseReason.EndDateReached });
        Then.Refused(Authorization.Extend(closed, Extend("2006-07-31", name: "Illegal")), "OPERATION_CLOSED");
    }

    [Fact]
    public void A_concluding_decision_closes_the_open_stages_and_the_operation_each_with_a_summary()
    {
        var channel = Channel(Joined("RUS"), MountainOutpost(), Reported("RUS", "2025-05-19", Seizures(Seized(Substance.Heroin, 31)), stage: Outpost));

        var decided = Authorization.Conclude(channel, Conclude("2025-12-31"));

        Assert.Null(decided.Violation);
        Assert.Collection(decided.Events,
            e => Assert.Equal(Outpost, Assert.IsType<StageClosed>(e).Stage),
            e => Assert.Equal(31, Assert.IsType<OperationSummaryPublished>(e).Totals.Total.DrugsKg),
            e => Assert.Equal(CloseReason.Decision, Assert.IsType<OperationClosed>(e).Reason),
            e =>
            {
                var summary = Assert.IsType<OperationSummaryPublished>(e);
                Assert.Equal("", summary.Stage);
                Assert.Equal("decisions/d-1", summary.Decision);
                Assert.Equal(31, summary.Totals.Total.DrugsKg);
            });
    }

    [Fact]
    public void A_conclusion_dated_before_reports_is_refused()
    {
        var channel = Channel(Joined("RUS"), Reported("RUS", "2025-05-19", Seizures(Seized(Substance.Heroin, 31))));
        Then.Refused(Authorization.Conclude(channel, Conclude("2025-05-01")), "REPORTS_AFTER_END_DATE");
    }

    [Fact]
    public void A_conclusion_before_the_start_is_refused() =>
        Then.Refused(Authorization.Conclude(Channel(), Conclude("2007-01-01")), "CONCLUSION_BEFORE_START");

    [Fact]
    public void An_operation_closes_by_itself_the_day_after_its_end_date()
    {
        Assert.Empty(Authorization.CloseAtEndDate(Operation(Illegal), Day("2006-06-30")).Events);
        var events = Authorization.CloseAtEndDate(Operation(Illegal), Day("2006-07-01")).Events;
        var closed = Assert.IsType<OperationClosed>(events[0]);
        Assert.Equal(CloseReason.EndDateReached, closed.Reason);
        Assert.Equal(D("2006-06-30"), closed.EndDate);
        Assert.IsType<OperationSummaryPublished>(events[1]);
    }

    [Fact]
    public void A_permanent_operation_never_closes_by_itself() =>
        Assert.Empty(Authorization.CloseAtEndDate(Channel(), Day("2099-01-01")).Events);
}
