using Csto.Testing;
using Csto.Common.V1;
using Csto.Operations.Api;
using Csto.Operations.Operations;
using Csto.Operations.Outcomes;
using Csto.Operations.Participants;
using Csto.Operations.V1;
using Xunit;
using static Csto.Operations.Tests.Given;

namespace Csto.Operations.Tests;

/// <summary>
/// January 2022 (domain.md): Kazakhstan asks for help under Article 4 of the Treaty; on 2022-01-06 the CSC sends the
/// collective peacekeeping forces from Russia, Belarus, Armenia, Tajikistan and Kyrgyzstan; withdrawal from 2022-01-13,
/// completed 2022-01-19.
/// </summary>
public sealed class CrisisResponseSpecs
{
    const string Name = "operations/csto-collective-peacekeeping-forces-in-kazakhstan";

    static Bodies.V1.DecisionAdopted Kazakhstan2022(string requestedBy = "KAZ", string legalBasis = "Collective Security Treaty, Article 4")
    {
        var decision = Authorize("CSTO Collective Peacekeeping Forces in Kazakhstan", OperationKind.CrisisResponse, "2022-01-06", "2022-01-19", permanent: false, id: "csc-2022-01-06");
        decision.Payload.AuthorizeOperation.RequestedBy = requestedBy;
        decision.Payload.AuthorizeOperation.LegalBasis = legalBasis;
        return decision;
    }

    static ParticipantJoined Contingent(string state) =>
        new() { Operation = Name, State = state, JoinDate = D("2022-01-06"), Agencies = { Agency.ArmedForces } };

    [Fact]
    public void The_operation_records_the_state_that_asked_for_help_and_the_legal_basis()
    {
        var opened = Then.Single<OperationOpened>(Authorization.Authorize(null, Kazakhstan2022()));

        Assert.Equal(Name, opened.Operation);
        Assert.Equal(("KAZ", "Collective Security Treaty, Article 4"), (opened.RequestedBy, opened.LegalBasis));
        var view = Mapping.ToApi(Operation(Kazakhstan2022()), Day("2022-01-10"), withReports: false, Members());
        Assert.Equal(("KAZ", "Collective Security Treaty, Article 4"), (view.RequestedBy, view.LegalBasis));
        Assert.Equal(OperationStatus.Active, view.Status);
    }

    [Fact]
    public void A_malformed_requesting_state_is_invalid() =>
        Then.Invalid(Authorization.Authorize(null, Kazakhstan2022("Kazakhstan")), "payload.authorize_operation.requested_by");

    [Fact]
    public void A_crisis_response_adopted_before_requests_were_recorded_still_opens() =>
        Assert.Equal("", Then.Single<OperationOpened>(Authorization.Authorize(null, Kazakhstan2022("", ""))).RequestedBy);

    [Fact]
    public void The_contributing_states_are_the_participants_and_leave_as_the_forces_withdraw()
    {
        var contributors = new[] { "RUS", "BLR", "ARM", "TJK", "KGZ" };
        var joined = contributors.Select(s => Then.Single<ParticipantJoined>(Participation.Join(Operation(Kazakhstan2022()), Members(), new JoinOperation(s, [Agency.ArmedForces], D("2022-01-06"))))).ToList();
        var op = Operation(Kazakhstan2022(), [.. joined]);
        var left = contributors.Select((s, i) => Then.Single<ParticipantLeft>(Participation.Leave(op, new LeaveOperation(s, D(i == 0 ? "2022-01-19" : "2022-01-13"), "withdrawal of the contingent")))).ToList();
        op = Operation(Kazakhstan2022(), [.. joined, .. left]);

        var view = Mapping.ToApi(op, Day("2022-01-19"), withReports: false, Members());
        Assert.Equal(["ARM", "BLR", "KGZ", "RUS", "TJK"], view.Participants.Select(p => p.State));
        Assert.All(view.Participants, p => Assert.NotNull(p.LeftOn));
        Assert.DoesNotContain("KAZ", view.Participants.Select(p => p.State)); // the requesting state is not a contributor
        Then.Refused(Reporting.Report(op, Members(), KgConversion.Default, new ReportOutcome("r1", "BLR", "", D("2022-01-15"), new OutcomeFigures { PersonnelEngaged = 500 })), "PARTICIPANT_LEFT");
        Then.Single<OutcomeReported>(Reporting.Report(op, Members(), KgConversion.Default, new ReportOutcome("r2", "RUS", "", D("2022-01-15"), new OutcomeFigures { PersonnelEngaged = 1_500 })));
    }

    [Fact]
    public void A_contingent_cannot_leave_after_the_operation_ended() =>
        Then.Refused(Participation.Leave(Operation(Kazakhstan2022(), Contingent("RUS")), new LeaveOperation("RUS", D("2022-01-20"), "")), "OPERATION_CLOSED");
}
