using Csto.EventLog.V1;
using Google.Protobuf;

namespace Csto.EventLog;

/// <summary>An event about to be appended; position, version and recorded_at come from the log.</summary>
public sealed record NewEvent(string EventId, string Type, ByteString Data, EventMetadata Metadata)
{
    public static NewEvent From(IMessage message, EventMetadata metadata, string? eventId = null) =>
        new(eventId ?? Guid.NewGuid().ToString(), message.Descriptor.FullName, message.ToByteString(), metadata);
}

/// <summary>Marks an incoming event as processed by a consumer, in the same transaction as the append.</summary>
public sealed record InboxEntry(string Consumer, string SourceEventId, string SourceService, long SourcePosition);

public sealed record AppendRequest(string StreamId, long ExpectedVersion, IReadOnlyList<NewEvent> Events, InboxEntry? Inbox = null);

public static class ExpectedVersion
{
    /// <summary>Append whatever the stream's version is.</summary>
    public const long Any = -1;

    /// <summary>The stream must not exist yet.</summary>
    public const long NoStream = 0;
}

public enum AppendOutcome
{
    /// <summary>The events were appended now.</summary>
    Appended,

    /// <summary>Every event id was already in the log: nothing appended, the original positions are returned.</summary>
    AlreadyAppended,

    /// <summary>The inbox already held the incoming event: nothing appended.</summary>
    DuplicateInbox,
}

public sealed record AppendResult(AppendOutcome Outcome, long StreamVersion, long FirstPosition, long LastPosition);

/// <summary>The stream is not at the version the caller expected (optimistic concurrency): gRPC ABORTED.</summary>
public sealed class WrongExpectedVersionException(string streamId, long expected, long actual)
    : Exception($"stream '{streamId}' is at version {actual}, expected {expected}")
{
    public string StreamId { get; } = streamId;
    public long Expected { get; } = expected;
    public long Actual { get; } = actual;
}

/// <summary>An append that can never succeed as asked (e.g. some but not all event ids already logged).</summary>
public sealed class InvalidAppendException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

public sealed record ReadFilter(string? StreamIdPrefix = null, IReadOnlyCollection<string>? Types = null)
{
    public static readonly ReadFilter All = new();

    public bool IsEmpty => string.IsNullOrEmpty(StreamIdPrefix) && (Types is null || Types.Count == 0);

    public bool Matches(EventRecord r) =>
        (string.IsNullOrEmpty(StreamIdPrefix) || r.StreamId.StartsWith(StreamIdPrefix, StringComparison.Ordinal))
        && (Types is null || Types.Count == 0 || Types.Contains(r.Type));
}

/// <summary>The records of a scan and the last position the scan covered (for checkpoints while nothing matches).</summary>
public sealed record ReadSlice(IReadOnlyList<EventRecord> Records, long ScannedTo);
