using Csto.Bodies.Drafts;
using Csto.Bodies.Shared;
using Csto.EventLog;
using Csto.EventLog.Inbox;
using Csto.EventLog.V1;
using Csto.Operations.V1;

namespace Csto.Bodies.Operations;

/// <summary>
/// Attaches each <see cref="OperationSummaryPublished"/> of the operations service to the decision that authorized the
/// operation (stream "decision-{id}"), caused by the summary's event so that a trace goes from the decision to the
/// totals. A summary naming a decision this log does not hold is dropped (marked processed, never retried).
/// </summary>
public sealed class OperationSummaryHandler(IEventStore store) : IEventHandler
{
    public string Name => "bodies-operation-reports";

    public IReadOnlyCollection<string> EventTypes { get; } = [OperationSummaryPublished.Descriptor.FullName];

    public async Task<AppendRequest?> HandleAsync(EventRecord incoming, CancellationToken cancellationToken)
    {
        var summary = OperationSummaryPublished.Parser.ParseFrom(incoming.Data);
        if (OperationReports.DecisionId(summary.Decision) is not { } id)
        {
            return null;
        }

        var stream = "decision-" + id;
        var history = await store.ReadStreamAsync(stream, 1, cancellationToken);
        var attached = OperationReports.Attach(DraftState.Fold(Shared.EventTypes.ParseAll(history)), summary, new SummarySource(incoming.EventId, incoming.StreamVersion));
        if (attached is null)
        {
            return null;
        }

        var metadata = EventInbox.CausedBy(incoming, Name);
        if (attached.AsOf.IsValid())
        {
            metadata.EffectiveTime = Dates.ToEffectiveTime(attached.AsOf.ToDateOnly());
        }

        var eventId = EventIds.FromName("bodies", $"operation-report|{incoming.SourceService}|{incoming.EventId}");
        return new AppendRequest(stream, history.Count, [NewEvent.From(attached, metadata, eventId)]);
    }
}
