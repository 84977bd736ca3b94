using Csto.Bodies.Drafts;
using Csto.Bodies.Operations;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.Operations.V1;
using Google.Protobuf;
using Xunit;
using static Csto.Bodies.Tests.Given;

namespace Csto.Bodies.Tests;

/// <summary>Attaching the operations service's summaries to the authorizing decision: once, latest per operation and stage.</summary>
public sealed class OperationReportSpecs
{
    const string Channel = "operations/channel";
    const string Outpost = "operations/channel/stages/mountain-outpost-2025";

    static DecisionPayload Authorize => new()
    {
        AuthorizeOperation = new AuthorizeOperation { Name = "Channel", Kind = OperationKind.AntiDrug, StartDate = D(2008, 1, 1).ToProto(), Permanent = true },
    };

    static DraftState Adopted(DecisionPayload payload, params IMessage[] later)
    {
        var events = new List<IMessage>
        {
            new DraftTabled { Draft = "drafts/channel", Session = "sessions/s1", BodyId = "csc", SessionDate = D(2008, 1, 1).ToProto(), Title = "Channel", Payload = payload },
            new DecisionAdopted { Decision = "decisions/channel", Draft = "drafts/channel", BodyId = "csc", EffectiveDate = D(2008, 1, 1).ToProto(), Payload = payload, BoundStates = { Founders } },
        };
        events.AddRange(later);
        return DraftState.Fold(events)!;
    }

    static OperationSummaryPublished Summary(string stage = Outpost, double drugs = 1742, double precursors = 341, int reports = 7, string decision = "decisions/channel")
    {
        var total = new Totals { DrugsKg = drugs, PrecursorsKg = precursors, Reports = reports };
        var totals = new OperationTotals { Operation = Channel, AsOf = D(2025, 5, 23).ToProto(), Total = total };
        if (stage.Length > 0)
        {
            totals.ByStage.Add(new StageTotals { Stage = stage, DisplayName = "Channel-Mountain Outpost", Totals = total });
        }

        return new OperationSummaryPublished { Operation = Channel, DisplayName = "Channel", Decision = decision, Stage = stage, Totals = totals };
    }

    [Fact]
    public void A_stage_summary_is_attached_to_the_authorizing_decision_with_its_totals()
    {
        var attached = OperationReports.Attach(Adopted(Authorize), Summary(), new SummarySource("e1", 12));

        Assert.NotNull(attached);
        Assert.Equal(("decisions/channel", Channel, "Channel", Outpost, "Channel-Mountain Outpost"), (attached.Decision, attached.Operation, attached.OperationName, attached.Stage, attached.StageDisplayName));
        Assert.Equal((1742d, 341d, 7, 2083d), (attached.DrugsKg, attached.PrecursorsKg, attached.Reports, attached.TotalKgEquivalent));
        Assert.Equal(D(2025, 5, 23).ToProto(), attached.AsOf);
        Assert.Equal(("e1", 12L), (attached.SourceEventId, attached.SourceStreamVersion));
        Assert.Equal(Summary().Totals, attached.Totals);
        Assert.Equal("Channel-Mountain Outpost closed as of 2025-05-23: 1742 kg of drugs, 341 kg of precursors, 7 reports", attached.Summary);
    }

    [Fact]
    public void The_same_summary_delivered_again_is_not_attached_twice()
    {
        var first = OperationReports.Attach(Adopted(Authorize), Summary(), new SummarySource("e1", 12))!;

        Assert.Null(OperationReports.Attach(Adopted(Authorize, first), Summary(), new SummarySource("e1", 12)));
    }

    [Fact]
    public void An_older_summary_of_the_same_operation_and_stage_arriving_late_is_ignored()
    {
        var newer = OperationReports.Attach(Adopted(Authorize), Summary(drugs: 1800), new SummarySource("e2", 15))!;

        Assert.Null(OperationReports.Attach(Adopted(Authorize, newer), Summary(drugs: 1742), new SummarySource("e1", 12)));
        // a newer one of the same stage, or another subject, is attached
        Assert.NotNull(OperationReports.Attach(Adopted(Authorize, newer), Summary(drugs: 1900), new SummarySource("e3", 16)));
        Assert.NotNull(OperationReports.Attach(Adopted(Authorize, newer), Summary(stage: ""), new SummarySource("e4", 14)));
    }

    [Fact]
    public void A_summary_for_an_unknown_or_unadopted_or_non_authorizing_decision_is_ignored()
    {
        Assert.Null(OperationReports.Attach(null, Summary(), new SummarySource("e1", 12)));
        Assert.Null(OperationReports.Attach(Draft(D(2008, 1, 1), Authorize), Summary(), new SummarySource("e1", 12)));
        Assert.Null(OperationReports.Attach(Adopted(Statement), Summary(), new SummarySource("e1", 12)));
        Assert.Null(OperationReports.Attach(Adopted(Authorize), Summary(decision: "decisions/other"), new SummarySource("e1", 12)));
        Assert.Null(OperationReports.DecisionId("operations/channel"));
        Assert.Null(OperationReports.DecisionId("decisions/"));
        Assert.Equal("channel", OperationReports.DecisionId("decisions/channel"));
    }

    [Fact]
    public void The_decision_shows_the_latest_report_of_each_stage_and_the_operation_closing_summary_as_latest()
    {
        var stage1 = OperationReports.Attach(Adopted(Authorize), Summary(drugs: 1742), new SummarySource("e1", 12))!;
        var stage2 = OperationReports.Attach(Adopted(Authorize, stage1), Summary(drugs: 1800), new SummarySource("e2", 15))!;
        var closing = OperationReports.Attach(Adopted(Authorize, stage1, stage2), Summary(stage: "", drugs: 2500), new SummarySource("e3", 20))!;

        var decision = Api.Views.ToDecision(Adopted(Authorize, stage1, stage2, closing))!;

        var operation = Assert.Single(decision.AuthorizedOperations);
        Assert.Equal((Channel, "Channel"), (operation.Operation, operation.OperationName));
        // the operation's own report first, then the stages by name: the same whatever order the summaries arrived in
        Assert.Equal([2500d, 1800d], operation.Reports.Select(r => r.DrugsKg));
        Assert.Equal(closing, operation.Latest);
    }
}
