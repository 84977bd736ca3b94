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
                 })
        {
            if (!string.IsNullOrEmpty(value))
            {
                yield return new(key, value);
            }
        }
    }

    /// <summary>Rebuilds the record from the headers and the body.</summary>
    public static EventRecord ToRecord(Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(header);
        string Required(string name) => header(name) ?? throw new InvalidOperationException($"header '{name}' is missing");
        var record = new EventRecord
        {
            EventId = Required(EventId),
            Type = Required(Type),
            SourceService = Required(Source),
            StreamId = Required(StreamId),
            StreamVersion = long.Parse(Required(StreamVersion), CultureInfo.InvariantCulture),
            Position = long.Parse(Required(Position), CultureInfo.InvariantCulture),
            Data = Google.Protobuf.ByteString.CopyFrom(body),
            Metadata = new EventMetadata
            {
                CorrelationId = header(CorrelationId) ?? "",
                CausationId = header(CausationId) ?? "",
                Traceparent = header(TraceParent) ?? "",
                Tracestate = header(TraceState) ?? "",
            },
        };
        if (header(RecordedAt) is { } at)
        {
            record.RecordedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.Parse(at, CultureInfo.InvariantCulture));
        }

        if (header(EffectiveTime) is { } eff)
        {
            record.Metadata.EffectiveTime = Timestamp.FromDateTimeOffset(DateTimeOffset.Parse(eff, CultureInfo.InvariantCulture));
        }

        if (header(ActorSubject) is not null || header(ActorRole) is not null || header(ActorState) is not null)
        {
            record.Metadata.Actor = new Actor { Subject = header(ActorSubject) ?? "", Role = header(ActorRole) ?? "", State = header(ActorState) ?? "" };
        }

        return record;
    }
}
