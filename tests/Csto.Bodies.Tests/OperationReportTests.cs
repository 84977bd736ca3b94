using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Relay;
using Csto.EventLog.V1;
using Csto.Operations.V1;
using Csto.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Csto.Bodies.Tests.Given;

namespace Csto.Bodies.Tests;

/// <summary>Cross-service flow 3's last step: the operations service's summary, over RabbitMQ, attached to the authorizing decision.</summary>
[Collection("broker")]
public sealed class OperationReportTests(RabbitMqFixture broker)
{
    const string Consumer = "bodies-operation-reports";

    [Fact]
    public async Task A_stage_summary_from_operations_shows_on_the_authorizing_decision_once_even_when_republished()
    {
        await using var suite = await Suite.StartAsync(broker, withOperations: true);
        await suite.FeedRosterAsync(D(2008, 12, 31));
        await suite.ConveneAsync("csc-2008-09-05", D(2008, 9, 5), "Moscow", "RUS");
        await suite.TableAsync("csc-2008-09-05", "channel", "Permanent operation Channel", new()
        {
            AuthorizeOperation = new AuthorizeOperation { Name = "Channel", Kind = OperationKind.AntiDrug, StartDate = D(2008, 9, 5).ToProto(), Permanent = true },
        });
        await suite.PositionsAsync("channel", Position.Support, [.. Founders, "UZB"]);
        await suite.DecideAsync("channel");

        var operations = suite.Operations!.Services.GetRequiredService<IEventStore>();
        var total = new Totals { DrugsKg = 1742, PrecursorsKg = 341, Reports = 3 };
        var summary = new OperationSummaryPublished
        {
            Operation = "operations/channel",
            DisplayName = "Channel",
            Decision = "decisions/channel",
            Stage = "operations/channel/stages/mountain-outpost",
            Totals = new OperationTotals
            {
                Operation = "operations/channel",
                AsOf = D(2025, 5, 23).ToProto(),
                Total = total,
                ByStage = { new StageTotals { Stage = "operations/channel/stages/mountain-outpost", DisplayName = "Channel-Mountain Outpost", Totals = total } },
            },
        };
        var published = NewEvent.From(summary, new EventMetadata { CorrelationId = "channel-2025" });
        await operations.AppendAsync(new AppendRequest("operation-channel", ExpectedVersion.Any, [published]));
        await Processed(suite, 1);

        var decision = (await suite.Client.GetDecisionAsync(new GetDecisionRequest { Name = "decisions/channel" })).Decision;
        var operation = Assert.Single(decision.AuthorizedOperations);
        Assert.Equal(("operations/channel", "Channel"), (operation.Operation, operation.OperationName));
        var report = Assert.Single(operation.Reports);
        Assert.Equal(("Channel-Mountain Outpost", 1742d, 341d, 3), (report.StageDisplayName, report.DrugsKg, report.PrecursorsKg, report.Reports));
        Assert.Equal(D(2025, 5, 23).ToProto(), report.AsOf);
        Assert.Equal(report, operation.Latest);

        // the attachment is caused by the summary's event, so a trace follows it back to the operations log
        var stream = await suite.Log.ReadStreamAsync("decision-channel");
        var attached = Assert.Single(stream, r => r.Type == OperationReportAttached.Descriptor.FullName);
        Assert.Equal((published.EventId, "channel-2025"), (attached.Metadata.CausationId, attached.Metadata.CorrelationId));

        // republished, then followed by a summary for a decision bodies does not know: neither is recorded
        var head = suite.Log.HeadPosition;
        await suite.Operations.Services.GetRequiredService<EventRelay>().RepublishAsync(1, operations.HeadPosition, CancellationToken.None);
        summary.Decision = "decisions/no-such-decision";
        await operations.AppendAsync(new AppendRequest("operation-elsewhere", ExpectedVersion.Any, [NewEvent.From(summary, new EventMetadata())]));
        await Processed(suite, 2);
        await Task.Delay(300);

        Assert.Equal(head, suite.Log.HeadPosition);
        decision = (await suite.Client.GetDecisionAsync(new GetDecisionRequest { Name = "decisions/channel" })).Decision;
        Assert.Single(Assert.Single(decision.AuthorizedOperations).Reports);
        Assert.Empty(await suite.Log.ReadStreamAsync("decision-no-such-decision"));
    }

    static Task Processed(Suite suite, long count) =>
        Eventually.UntilAsync(async () => (await suite.Log.GetConsumersAsync()).SingleOrDefault(c => c.Name == Consumer)?.ProcessedCount == count,
            TimeSpan.FromSeconds(60), $"{count} summaries in the bodies inbox");
}
