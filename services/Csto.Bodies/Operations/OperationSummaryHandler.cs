using Csto.Bodies.Drafts;
using Csto.EventLog.Commands;
using Csto.EventLog.Inbox;
using Csto.EventLog.V1;
using Csto.Operations.V1;

namespace Csto.Bodies.Operations;

/// <summary>
/// Attaches each <see cref="OperationSummaryPublished"/> of the operations service to the decision that authorized the
/// operation (stream "decision-{id}"), caused by the summary's event so that a trace goes from the decision to the
/// totals. A summary naming a decision this log does not hold is dropped (marked processed, never retried).
/// </summary>
public sealed class OperationSummaryHandler : IEventHandler
{
    public string Name => "bodies-operation-reports";

    public IReadOnlyCollection<string> EventTypes { get; } = [OperationSummaryPublished.Descriptor.FullName];

    public ICommand? Handle(EventRecord incoming)
    {
        var summary = OperationSummaryPublished.Parser.ParseFrom(incoming.Data);
        if (OperationReports.DecisionId(summary.Decision) is not { } id)
        {
            return null;
        }

        var source = new SummarySource(incoming.EventId, incoming.StreamVersion);
        return new Command<DraftState?>("decision-" + id, DraftState.Of,
            decision => OperationReports.Attach(decision, summary, source) is { } attached ? Verdict.Accept(attached) : Verdict.Nothing)
        {
            EffectiveDateOf = e => e is Csto.Bodies.V1.OperationReportAttached { AsOf: { IsCalendarDate: true } asOf } ? asOf.ToDateOnly() : null,
        };
    }
}
