using Csto.EventLog.V1;
using Csto.Operations.Shared;
using Csto.Operations.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Csto.Operations.Operations;

/// <summary>The event types of an operation stream and their effective dates.</summary>
public static class OperationEvents
{
    static readonly Dictionary<string, MessageParser> Parsers = new MessageDescriptor[]
    {
        OperationOpened.Descriptor, OperationExtended.Descriptor, OperationClosed.Descriptor, ParticipantJoined.Descriptor,
        ObserverAdmitted.Descriptor, StageStarted.Descriptor, StageClosed.Descriptor, OutcomeReported.Descriptor,
        OutcomeCorrected.Descriptor, OperationSummaryPublished.Descriptor, DecisionHeld.Descriptor, DecisionSuperseded.Descriptor,
    }.ToDictionary(d => d.FullName, d => d.Parser, StringComparer.Ordinal);

    public static IMessage? Parse(EventRecord record)
    {
        return Parsers.TryGetValue(record.Type, out var parser) ? parser.ParseFrom(record.Data) : null;
    }

    public static OperationState? Fold(IReadOnlyList<EventRecord> records) =>
        OperationState.Fold(records.Select(r => Parse(r) ?? new Google.Protobuf.WellKnownTypes.Empty()));

    /// <summary>When the event happened in the world (for metadata.effective_time).</summary>
    public static DateOnly? EffectiveDate(IMessage e) => e switch
    {
        OperationOpened o => o.EffectiveDate?.ToDateOnly(),
        OperationExtended x => x.EffectiveDate?.ToDateOnly(),
        OperationClosed c => c.EndDate?.ToDateOnly(),
        ParticipantJoined p => p.JoinDate?.ToDateOnly(),
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
