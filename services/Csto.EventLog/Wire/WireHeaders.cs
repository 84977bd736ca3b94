using System.Globalization;
using Csto.EventLog.V1;
using Google.Protobuf.WellKnownTypes;

namespace Csto.EventLog.Wire;

/// <summary>
/// An event on the wire: the AMQP body is the protobuf event (EventRecord.data), the content type is
/// <see cref="ContentType"/>, and these AMQP headers carry the record's other fields, so any client
/// with the protos can consume it without MassTransit.
/// </summary>
public static class WireHeaders
{
    public const string ContentType = "application/x-protobuf";
    public const string EventId = "csto-event-id";
    public const string Type = "csto-type";
    public const string Source = "csto-source";
    public const string StreamId = "csto-stream-id";
    public const string StreamVersion = "csto-stream-version";
    public const string Position = "csto-position";
    public const string RecordedAt = "csto-recorded-at";
    public const string EffectiveTime = "csto-effective-time";
    public const string CorrelationId = "csto-correlation-id";
    public const string CausationId = "csto-causation-id";
    public const string ActorSubject = "csto-actor-subject";
    public const string ActorRole = "csto-actor-role";
    public const string ActorState = "csto-actor-state";
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";
    public const string ProvenanceBasis = "csto-provenance-basis";
    public const string ProvenanceSource = "csto-provenance-source";
    public const string ProvenanceReason = "csto-provenance-reason";

    /// <summary>On every event (the header table of docs/event-log.md, "On the wire"): the record's identity and place in the log.</summary>
    public static readonly IReadOnlyList<string> Always = [EventId, Type, Source, StreamId, StreamVersion, Position, RecordedAt];

    /// <summary>Only when the record has a value for them: an empty value is left out, never sent as an empty string.</summary>
    public static readonly IReadOnlyList<string> WhenSet =
        [EffectiveTime, CorrelationId, CausationId, ActorSubject, ActorRole, ActorState, TraceParent, TraceState, ProvenanceBasis, ProvenanceSource, ProvenanceReason];

    static readonly Google.Protobuf.Reflection.EnumDescriptor BasisType = Csto.Common.V1.Provenance.Descriptor.File.FindTypeByName<Google.Protobuf.Reflection.EnumDescriptor>("Basis");

    /// <summary>Exchange of an event type: the protobuf full name, fanout, durable.</summary>
    public static string ExchangeFor(string type) => type;

    public static IEnumerable<KeyValuePair<string, string>> From(EventRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var m = record.Metadata ?? new EventMetadata();
        yield return new(EventId, record.EventId);
        yield return new(Type, record.Type);
        yield return new(Source, record.SourceService);
        yield return new(StreamId, record.StreamId);
        yield return new(StreamVersion, record.StreamVersion.ToString(CultureInfo.InvariantCulture));
        yield return new(Position, record.Position.ToString(CultureInfo.InvariantCulture));
        if (record.RecordedAt is not null)
        {
            yield return new(RecordedAt, record.RecordedAt.ToDateTimeOffset().ToString("O", CultureInfo.InvariantCulture));
        }

        if (m.EffectiveTime is not null)
        {
            yield return new(EffectiveTime, m.EffectiveTime.ToDateTimeOffset().ToString("O", CultureInfo.InvariantCulture));
        }

        foreach (var (key, value) in new[]
                 {
                     (CorrelationId, m.CorrelationId), (CausationId, m.CausationId), (TraceParent, m.Traceparent), (TraceState, m.Tracestate),
                     (ActorSubject, m.Actor?.Subject), (ActorRole, m.Actor?.Role), (ActorState, m.Actor?.State),
                     (ProvenanceBasis, m.Provenance is { Basis: not Csto.Common.V1.Basis.Unspecified } p ? BasisType.FindValueByNumber((int)p.Basis)?.Name : null),
                     (ProvenanceSource, m.Provenance?.Source), (ProvenanceReason, m.Provenance?.Reason),
                 })
        {
            if (!string.IsNullOrEmpty(value))
            {
                yield return new(key, value);
            }
        }
    }

    /// <summary>
    /// Rebuilds the record from the headers and the body. A missing or malformed header leaves its field empty (0 for
    /// numbers), so that the consumer, not the transport, refuses the message (<see cref="Problem"/>) and it is moved
    /// once, with its reason, to the error queue.
    /// </summary>
    public static EventRecord ToRecord(Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(header);
        string Required(string name) => header(name) ?? "";
        var record = new EventRecord
        {
            EventId = Required(EventId),
            Type = Required(Type),
            SourceService = Required(Source),
            StreamId = Required(StreamId),
            StreamVersion = long.TryParse(Required(StreamVersion), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : 0,
            Position = long.TryParse(Required(Position), NumberStyles.None, CultureInfo.InvariantCulture, out var position) ? position : 0,
            Data = Google.Protobuf.ByteString.CopyFrom(body),
            Metadata = new EventMetadata
            {
                CorrelationId = header(CorrelationId) ?? "",
                CausationId = header(CausationId) ?? "",
                Traceparent = header(TraceParent) ?? "",
                Tracestate = header(TraceState) ?? "",
            },
        };
        if (DateTimeOffset.TryParse(header(RecordedAt), CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
        {
            record.RecordedAt = Timestamp.FromDateTimeOffset(at);
        }

        if (DateTimeOffset.TryParse(header(EffectiveTime), CultureInfo.InvariantCulture, DateTimeStyles.None, out var eff))
        {
            record.Metadata.EffectiveTime = Timestamp.FromDateTimeOffset(eff);
        }

        if (header(ActorSubject) is not null || header(ActorRole) is not null || header(ActorState) is not null)
        {
            record.Metadata.Actor = new Actor { Subject = header(ActorSubject) ?? "", Role = header(ActorRole) ?? "", State = header(ActorState) ?? "" };
        }

        // the fact's provenance travels with it, so that what another service records because of it says the same
        if (header(ProvenanceBasis) is { } basis && BasisType.FindValueByName(basis) is { } value)
        {
            record.Metadata.Provenance = new Csto.Common.V1.Provenance { Basis = (Csto.Common.V1.Basis)value.Number, Source = header(ProvenanceSource) ?? "", Reason = header(ProvenanceReason) ?? "" };
        }

        return record;
    }

    /// <summary>Why a received record is not a csto event (a required header missing or malformed), or null.</summary>
    public static string? Problem(EventRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.EventId.Length == 0 ? $"header '{EventId}' is missing"
            : record.Type.Length == 0 ? $"header '{Type}' is missing"
            : record.SourceService.Length == 0 ? $"header '{Source}' is missing"
            : record.StreamId.Length == 0 ? $"header '{StreamId}' is missing"
            : record.StreamVersion <= 0 ? $"header '{StreamVersion}' is missing or not a positive number"
            : record.Position <= 0 ? $"header '{Position}' is missing or not a positive number"
            : null;
    }
}
