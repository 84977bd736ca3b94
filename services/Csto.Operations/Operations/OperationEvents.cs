using Csto.EventLog.V1;
using Csto.Operations.Shared;
using Csto.Operations.V1;
using Google.Protobuf;

namespace Csto.Operations.Operations;

/// <summary>The event types of an operation stream and their effective dates.</summary>
public static class OperationEvents
{
    /// <summary>The event of a record of an operation stream (the kernel's registry knows every type of protos/).</summary>
    public static IMessage? Parse(EventRecord record) => EventTypes.Parse(record);

    public static OperationState? Fold(IReadOnlyList<EventRecord> records) => FoldFrom(null, records);

    /// <summary>The fold continued from <paramref name="prior"/> with the records appended after those it was folded from (<see cref="Csto.EventLog.Commands.Command{TState}.FoldFrom"/>).</summary>
    public static OperationState? FoldFrom(OperationState? prior, IReadOnlyList<EventRecord> added)
    {
        ArgumentNullException.ThrowIfNull(added);
        var state = prior;
        foreach (var r in added)
        {
            state = OperationState.Evolve(state, Parse(r) ?? new Google.Protobuf.WellKnownTypes.Empty(), r.EventId, r.Metadata?.Provenance);
        }

        return state;
    }

    /// <summary>When the event happened in the world (for metadata.effective_time).</summary>
    public static DateOnly? EffectiveDate(IMessage e) => e switch
    {
        OperationOpened o => o.EffectiveDate?.ToDateOnly(),
        OperationExtended x => x.EffectiveDate?.ToDateOnly(),
        OperationClosed c => c.EndDate?.ToDateOnly(),
        ParticipantJoined p => p.JoinDate?.ToDateOnly(),
        ParticipantLeft l => l.LeftOn?.ToDateOnly(),
        PublishedTotalsRecorded t => t.AsOf?.ToDateOnly(),
        ObserverAdmitted a => a.AdmittedOn?.ToDateOnly(),
        StageStarted s => s.StartDate?.ToDateOnly(),
        StageClosed s => s.EndDate?.ToDateOnly(),
        OutcomeReported r => r.ReportDate?.ToDateOnly(),
        OutcomeCorrected c => c.CorrectedOn?.ToDateOnly(),
        OperationSummaryPublished s => s.Totals?.AsOf?.ToDateOnly(),
        DecisionHeld h => h.EffectiveDate?.ToDateOnly(),
        DecisionSuperseded x => x.EffectiveDate?.ToDateOnly(),
        DecisionNotApplied d => Dates.TryGet(d.EffectiveDate, out var day) ? day : null,
        _ => null,
    };
}
