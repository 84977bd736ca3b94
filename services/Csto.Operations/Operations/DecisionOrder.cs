using System.Collections.Immutable;
using Csto.Bodies.V1;
using Csto.EventLog.V1;
using Csto.Operations.V1;
using Google.Protobuf;

namespace Csto.Operations.Operations;

/// <summary>An operation's stream as the decisions consumer sees it: the operation (null until authorized) and the decisions held for it.</summary>
public sealed record OperationStream(OperationState? Operation, ImmutableList<DecisionAdopted> Held)
{
    public static OperationStream Of(IReadOnlyList<EventRecord> records)
    {
        OperationState? operation = null;
        var held = ImmutableList<DecisionAdopted>.Empty;
        foreach (var record in records)
        {
            var e = OperationEvents.Parse(record);
            if (e is DecisionHeld h)
            {
                held = held.Add(DecisionAdopted.Parser.ParseFrom(h.DecisionAdopted));
            }
            else if (e is not null)
            {
                operation = OperationState.Evolve(operation, e, record.EventId, record.Metadata?.Provenance);
            }
        }

        var settled = operation?.LaterDecisions.Select(d => d.Decision).ToHashSet(StringComparer.Ordinal) ?? [];
        return new(operation, held.RemoveAll(d => settled.Contains(d.Decision)));
    }
}

/// <summary>
/// The decisions about an operation give the same operation whatever order they arrive in: an extension or a conclusion
/// that arrives before the authorization is held and applied, in the order of the decisions' effective dates (then
/// names), when the authorization comes; one that arrives after a later-dated decision it would have preceded is
/// recorded as superseded (listed, no change).
/// </summary>
public static partial class Authorization
{
    public static Verdict OnDecision(OperationStream stream, DecisionAdopted decision)
    {
        var kind = decision.Payload?.KindCase;
        if (stream.Operation is null && kind is DecisionPayload.KindOneofCase.ExtendOperation or DecisionPayload.KindOneofCase.ConcludeOperation)
        {
            return Verdict.Accept(new DecisionHeld
            {
                Decision = decision.Decision,
                EffectiveDate = decision.EffectiveDate,
                DecisionAdopted = decision.ToByteString(),
                Reason = "OPERATION_NOT_FOUND",
            });
        }

        var first = Apply(stream.Operation, decision);
        if (first.Refused)
        {
            return first;
        }

        var events = new List<IMessage>(first.Events);
        var operation = events.Aggregate(stream.Operation, OperationState.Evolve);
        foreach (var held in stream.Held.OrderBy(d => d.EffectiveDate?.ToDateOnly()).ThenBy(d => d.Decision, StringComparer.Ordinal))
        {
            var verdict = Apply(operation, held);
            if (verdict.Accepted)
            {
                events.AddRange(verdict.Events);
                operation = verdict.Events.Aggregate(operation, OperationState.Evolve);
            }
        }

        return Verdict.Accept(events);
    }

    static Verdict Apply(OperationState? operation, DecisionAdopted decision)
    {
        var kind = decision.Payload?.KindCase;
        if (kind == DecisionPayload.KindOneofCase.AuthorizeOperation)
        {
            return Authorize(operation, decision);
        }

        if (operation is not null && Dates.TryGet(decision.EffectiveDate, out var day)
            && operation.LaterDecisions.Where(d => d.EffectiveDate > day || (d.EffectiveDate == day && string.CompareOrdinal(d.Decision, decision.Decision) > 0)).MaxBy(d => d.EffectiveDate) is { } later)
        {
            return Verdict.Accept(new DecisionSuperseded { Operation = operation.Name, Decision = decision.Decision, EffectiveDate = decision.EffectiveDate, SupersededBy = later.Decision });
        }

        return kind == DecisionPayload.KindOneofCase.ExtendOperation ? Extend(operation, decision) : Conclude(operation, decision);
    }
}
