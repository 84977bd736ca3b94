using Csto.EventLog.V1;

namespace Csto.EventLog;

/// <summary>
/// The append-only log of one service. The seam for other engines (PostgreSQL) is this interface;
/// SQL dialect differences live in the store class that implements it.
/// </summary>
public interface IEventStore
{
    /// <summary>Name of the service whose log this is.</summary>
    string ServiceName { get; }

    /// <summary>Position of the last committed record (0 when empty).</summary>
    long HeadPosition { get; }

    /// <summary>
    /// Appends durably (the task completes after the commit reached the disk). Concurrent calls are
    /// group-committed. Throws <see cref="WrongExpectedVersionException"/> on a version conflict.
    /// </summary>
    Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken = default);

    /// <summary>Records of one stream from a version (inclusive), in version order.</summary>
    Task<IReadOnlyList<EventRecord>> ReadStreamAsync(string streamId, long fromVersion = 1, CancellationToken cancellationToken = default);

    /// <summary>
    /// The version at which <paramref name="eventId"/> is in <paramref name="streamId"/>, or 0 when it is not there: the
    /// command path asks it to recognise a retry without reading a long stream whole. By default it reads the stream.
    /// </summary>
    async Task<long> FindEventVersionAsync(string streamId, string eventId, CancellationToken cancellationToken = default)
    {
        foreach (var record in await ReadStreamAsync(streamId, 1, cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(record.EventId, eventId, StringComparison.Ordinal))
            {
                return record.StreamVersion;
            }
        }

        return 0;
    }

    /// <summary>
    /// Scans positions from <paramref name="fromPosition"/> to <paramref name="toPosition"/> (inclusive) and returns
    /// the matching records, at most <paramref name="maxRecords"/>, and how far the scan got.
    /// </summary>
    Task<ReadSlice> ReadAllAsync(long fromPosition, long toPosition, ReadFilter filter, int maxRecords, CancellationToken cancellationToken = default);

    /// <summary>
    /// The same read as <see cref="ReadAllAsync"/>, as one encoded StreamEvents response (what a replay sends). A store
    /// that can encodes it from its columns without materializing the records; by default the records read are encoded.
    /// </summary>
    async Task<EncodedSlice> ReadAllEncodedAsync(long fromPosition, long toPosition, ReadFilter filter, int maxRecords, CancellationToken cancellationToken = default)
    {
        var slice = await ReadAllAsync(fromPosition, toPosition, filter, maxRecords, cancellationToken).ConfigureAwait(false);
        return new EncodedSlice(slice.Records.Count == 0 ? null : EncodedEvents.Of(slice.Records), slice.ScannedTo);
    }

    /// <summary>
    /// The committed head as the database knows it now. With one instance (SQLite) that is <see cref="HeadPosition"/>;
    /// with several instances sharing a database it also counts what the others committed a moment ago, so that a
    /// caller who wrote through one instance reads its write through the next one it asks (queries wait for this).
    /// </summary>
    Task<long> ReadHeadAsync(CancellationToken cancellationToken) => Task.FromResult(HeadPosition);

    /// <summary>
    /// The position of the last committed event of any stream whose id starts with <paramref name="streamIdPrefix"/>
    /// (0 when there is none), as the database knows it now: a read that depends on those streams only (the roster)
    /// waits for its projection to reach this position instead of the whole log's head.
    /// </summary>
    Task<long> ReadLastPositionAsync(string streamIdPrefix, CancellationToken cancellationToken);

    /// <summary>
    /// A position at or after the last committed event of any of <paramref name="types"/>: a read of a projection fed only
    /// by those types (the bodies and their observers, the terms of the Secretary General) waits for its projection to reach
    /// it instead of the whole log's head. The SQLite log knows it exactly for what was appended since it opened (and
    /// answers its head at opening for types not appended since); by default it is the head, which is always safe.
    /// </summary>
    Task<long> ReadLastPositionOfTypesAsync(IReadOnlyCollection<string> types, CancellationToken cancellationToken) => ReadHeadAsync(cancellationToken);

    /// <summary>Completes when the head moves past <paramref name="knownHead"/>.</summary>
    Task WaitForAppendAsync(long knownHead, CancellationToken cancellationToken);

    Task<long> GetCheckpointAsync(string name, CancellationToken cancellationToken = default);

    Task SetCheckpointAsync(string name, long position, CancellationToken cancellationToken = default);

    Task<bool> IsProcessedAsync(string consumer, string sourceEventId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ConsumerInfo>> GetConsumersAsync(CancellationToken cancellationToken = default);

    /// <summary>Work items waiting for the log's writer (appends, projection and checkpoint writes): the writer queue's length.</summary>
    int PendingWrites => 0;

    /// <summary>Null when the last commit succeeded; else why the log could not write (health reports it).</summary>
    string? WriteError { get; }

    /// <summary>Completes once the log can commit a transaction now (health's probe); throws when it cannot.</summary>
    Task ProbeWriteAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Takes or renews the lease <paramref name="name"/> for <paramref name="holder"/> until <paramref name="ttl"/> from now;
    /// false while another holder's lease has not expired. Several instances of a service share one PostgreSQL log, and
    /// only the holder of "relay" publishes; a holder that dies stops renewing and another takes over after the ttl.
    /// </summary>
    Task<bool> TryAcquireLeaseAsync(string name, string holder, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Gives the lease up (when <paramref name="holder"/> holds it), so another instance takes over at once.</summary>
    Task ReleaseLeaseAsync(string name, string holder, CancellationToken cancellationToken = default);
}
