using System.Text;
using Csto.EventLog.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Npgsql;

namespace Csto.EventLog;

/// <summary>Reads, checkpoints, the inbox and leases of the PostgreSQL log, each on its own pooled connection.</summary>
public sealed partial class PostgresEventStore
{
    /// <summary>The streams read last, in memory: a stream read again costs only what was appended since (see <see cref="StreamCache"/>).</summary>
    public StreamCache Streams { get; } = new();

    public Task<IReadOnlyList<EventRecord>> ReadStreamAsync(string streamId, long fromVersion = 1, CancellationToken cancellationToken = default) =>
        Streams.ReadAsync(streamId, fromVersion, (from, ct) => ReadStreamFromDatabaseAsync(streamId, from, ct), cancellationToken);

    Task<IReadOnlyList<EventRecord>> ReadStreamFromDatabaseAsync(string streamId, long fromVersion, CancellationToken cancellationToken) =>
        WithConnectionAsync<IReadOnlyList<EventRecord>>(async connection =>
        {
            await using var cmd = new NpgsqlCommand($"SELECT {PostgresSchema.RecordColumns} FROM events WHERE stream_id = @s AND stream_version >= @v ORDER BY stream_version", connection);
            cmd.Parameters.AddWithValue("s", streamId);
            cmd.Parameters.AddWithValue("v", fromVersion);
            return await ReadRecordsAsync(cmd, 16, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public async Task<long> ReadLastPositionAsync(string streamIdPrefix, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamIdPrefix);
        var (head, last) = await WithConnectionAsync(async connection =>
        {
            // the head with it, so that this instance reads (and its projections apply) up to that position
            await using var cmd = new NpgsqlCommand(
                "SELECT (SELECT position FROM head WHERE id = 1), COALESCE((SELECT MAX(position) FROM events WHERE (stream_id COLLATE \"C\") >= @lo AND (stream_id COLLATE \"C\") < @hi), 0)", connection);
            cmd.Parameters.AddWithValue("lo", streamIdPrefix);
            cmd.Parameters.AddWithValue("hi", SqliteEventStore.PrefixEnd(streamIdPrefix));
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return (reader.GetInt64(0), reader.GetInt64(1));
        }, cancellationToken).ConfigureAwait(false);
        AdvanceHead(head);
        return last;
    }

    public async Task<ReadSlice> ReadAllAsync(long fromPosition, long toPosition, ReadFilter filter, int maxRecords, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        fromPosition = Math.Max(1, fromPosition);
        // never past the committed head this instance knows: every position up to it is committed (see the class comment)
        toPosition = Math.Min(toPosition, HeadPosition);
        if (fromPosition > toPosition || maxRecords <= 0)
        {
            return new ReadSlice([], Math.Max(fromPosition - 1, 0));
        }

        toPosition = filter.IsEmpty
            ? Math.Min(toPosition, fromPosition + maxRecords - 1)
            : Math.Min(toPosition, fromPosition + Math.Max(maxRecords, 10_000) - 1);
        var list = await WithConnectionAsync(async connection =>
        {
            await using var cmd = new NpgsqlCommand { Connection = connection };
            var sql = new StringBuilder($"SELECT {PostgresSchema.RecordColumns} FROM events WHERE position BETWEEN @from AND @to");
            if (!string.IsNullOrEmpty(filter.StreamIdPrefix))
            {
                sql.Append(" AND starts_with(stream_id, @prefix)");
                cmd.Parameters.AddWithValue("prefix", filter.StreamIdPrefix);
            }

            if (filter.Types is { Count: > 0 } types)
            {
                sql.Append(" AND type = ANY(@types)");
                cmd.Parameters.AddWithValue("types", types.ToArray());
            }

            cmd.CommandText = sql.Append(" ORDER BY position LIMIT @limit").ToString();
            cmd.Parameters.AddWithValue("from", fromPosition);
            cmd.Parameters.AddWithValue("to", toPosition);
            cmd.Parameters.AddWithValue("limit", maxRecords);
            return await ReadRecordsAsync(cmd, Math.Min(maxRecords, 4096), cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        var scannedTo = list.Count == maxRecords ? list[^1].Position : toPosition;
        return new ReadSlice(list, scannedTo);
    }

    async Task<List<EventRecord>> ReadRecordsAsync(NpgsqlCommand cmd, int capacity, CancellationToken cancellationToken)
    {
        var list = new List<EventRecord>(capacity);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var micros = reader.GetInt64(6);
            list.Add(new EventRecord
            {
                Position = reader.GetInt64(0),
                StreamId = reader.GetString(1),
                StreamVersion = reader.GetInt64(2),
                EventId = reader.GetString(3),
                Type = reader.GetString(4),
                Data = UnsafeByteOperations.UnsafeWrap(reader.GetFieldValue<byte[]>(5)),
                RecordedAt = new Timestamp { Seconds = micros / 1_000_000, Nanos = (int)(micros % 1_000_000) * 1000 },
                Metadata = EventMetadata.Parser.ParseFrom(reader.GetFieldValue<byte[]>(7)),
                SourceService = ServiceName,
            });
        }

        return list;
    }

    public Task<long> GetCheckpointAsync(string name, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(async connection =>
        {
            await using var cmd = new NpgsqlCommand("SELECT position FROM checkpoints WHERE name = @n", connection);
            cmd.Parameters.AddWithValue("n", name);
            return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long p ? p : 0;
        }, cancellationToken, upkeep: true);

    public Task SetCheckpointAsync(string name, long position, CancellationToken cancellationToken = default) =>
        InTransactionAsync((c, t) => WriteCheckpointAsync(c, t, name, position, cancellationToken), cancellationToken, upkeep: true);

    static async Task<bool> WriteCheckpointAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, long position, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("INSERT INTO checkpoints(name, position) VALUES (@n, @p) ON CONFLICT(name) DO UPDATE SET position = excluded.position", connection, transaction);
        cmd.Parameters.AddWithValue("n", name);
        cmd.Parameters.AddWithValue("p", position);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>One lookup on the event id's unique index.</summary>
    public Task<long> FindEventVersionAsync(string streamId, string eventId, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(async connection =>
        {
            await using var cmd = new NpgsqlCommand("SELECT stream_version FROM events WHERE event_id = @e AND stream_id = @s", connection);
            cmd.Parameters.AddWithValue("e", eventId);
            cmd.Parameters.AddWithValue("s", streamId);
            return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long version ? version : 0;
        }, cancellationToken);

    public Task<bool> IsProcessedAsync(string consumer, string sourceEventId, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(async connection =>
        {
            await using var cmd = new NpgsqlCommand("SELECT 1 FROM inbox WHERE consumer = @c AND event_id = @e", connection);
            cmd.Parameters.AddWithValue("c", consumer);
            cmd.Parameters.AddWithValue("e", sourceEventId);
            return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
        }, cancellationToken);

    public Task<IReadOnlyList<ConsumerInfo>> GetConsumersAsync(CancellationToken cancellationToken = default) =>
        WithConnectionAsync<IReadOnlyList<ConsumerInfo>>(async connection =>
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT consumer, source_service, COUNT(*), MAX(source_position) FROM inbox GROUP BY consumer, source_service ORDER BY consumer COLLATE \"C\", source_service COLLATE \"C\"", connection);
            var byName = new SortedDictionary<string, ConsumerInfo>(StringComparer.Ordinal);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var name = reader.GetString(0);
                if (!byName.TryGetValue(name, out var info))
                {
                    byName[name] = info = new ConsumerInfo { Name = name };
                }

                info.ProcessedCount += reader.GetInt64(2);
                info.SourcePositions[reader.GetString(1)] = reader.GetInt64(3);
            }

            return [.. byName.Values];
        }, cancellationToken);

    /// <summary>The database's clock decides expiry, so instances on machines with skewed clocks agree on who holds a lease.</summary>
    public Task<bool> TryAcquireLeaseAsync(string name, string holder, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(async connection =>
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO leases(name, holder, expires_at) VALUES (@n, @h, clock_timestamp() + @ttl)
                ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE leases.holder = excluded.holder OR leases.expires_at < clock_timestamp()
                """, connection);
            cmd.Parameters.AddWithValue("n", name);
            cmd.Parameters.AddWithValue("h", holder);
            cmd.Parameters.AddWithValue("ttl", ttl);
            return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }, cancellationToken, upkeep: true);

    public Task ReleaseLeaseAsync(string name, string holder, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(async connection =>
        {
            await using var cmd = new NpgsqlCommand("DELETE FROM leases WHERE name = @n AND holder = @h", connection);
            cmd.Parameters.AddWithValue("n", name);
            cmd.Parameters.AddWithValue("h", holder);
            return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken, upkeep: true);
}
