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
        OutcomeCorrected.Descriptor, OperationSummaryPublished.Descriptor,
    }.ToDictionary(d => d.FullName, d => d.Parser, StringComparer.Ordinal);

    public static IMessage? Parse(EventRecord record)
    {
        return Parsers.TryGetValue(record.Type, out var parser) ? parser.ParseFrom(record.Data) : null;
    }

    public static OperationState? Fold(IEnumerable<EventRecord> records) =>
        OperationState.Fold(records.Select(r => Parse(r) ?? new Google.Protobuf.WellKnownTypes.Empty()));

    /// <summary>When the event happened in the world (for metadata.effective_time).</summary>
    public static DateOnly? EffectiveDate(IMessage e) => e switch
    {
        OperationOpened o => DateValues.GetOptional(o.EffectiveDate),
        OperationExtended x => DateValues.GetOptional(x.EffectiveDate),
        OperationClosed c => DateValues.GetOptional(c.EndDate),
        ParticipantJoined p => DateValues.GetOptional(p.JoinDate),
        ObserverAdmitted a => DateValues.GetOptional(a.AdmittedOn),
        StageStarted s => DateValues.GetOptional(s.StartDate),
        StageClosed s => DateValues.GetOptional(s.EndDate),
        OutcomeReported r => DateValues.GetOptional(r.ReportDate),
        OutcomeCorrected c => DateValues.GetOptional(c.CorrectedOn),
        OperationSummaryPublished s => DateValues.GetOptional(s.Totals?.AsOf),
        DecisionNotApplied d => DateValues.TryGet(d.EffectiveDate, out var day) ? day : null,
        _ => null,
    };
}
