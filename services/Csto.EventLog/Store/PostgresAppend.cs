using Csto.EventLog.V1;
using Google.Protobuf;
using Npgsql;

namespace Csto.EventLog;

/// <summary>
/// Group commit on PostgreSQL: one writer task per instance takes every queued append, locks the head row, checks and
/// writes each append in turn and commits them together. An append checks the inbox, its event ids and the expected
/// version (in the transaction, after the lock: nobody else can write the log meanwhile, and earlier appends of the
/// batch are visible) before it writes anything, so a refused append leaves nothing to undo and fails alone; an
/// unexpected failure fails the batch, and every caller of it hears of it.
/// </summary>
public sealed partial class PostgresEventStore
{
    public Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.StreamId))
        {
            throw new InvalidAppendException("stream_id", "stream_id must not be empty");
        }

        if (request.Events.Count == 0 && request.Inbox is null)
        {
            throw new InvalidAppendException("events", "an append needs at least one event");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var item = new AppendItem(request);
        if (!_queue.Writer.TryWrite(item))
        {
            throw new StoreUnavailableException(_writeError ?? "the log is closed");
        }

        return item.Completion.Task;
    }

    async Task WriterLoopAsync()
    {
        var batch = new List<AppendItem>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            await CommitBatchAsync(batch).ConfigureAwait(false);
        }
    }

    async Task CommitBatchAsync(List<AppendItem> batch)
    {
        var results = new AppendResult?[batch.Count];
        var errors = new Exception?[batch.Count];
        long head;
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
            await using (var lockHead = new NpgsqlCommand("SELECT position FROM head WHERE id = 1 FOR UPDATE", connection, tx))
            {
                head = (long)(await lockHead.ExecuteScalarAsync().ConfigureAwait(false))!;
            }

            var start = head;
            var micros = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
            for (var i = 0; i < batch.Count; i++)
            {
                try
                {
                    results[i] = await AppendOneAsync(connection, tx, batch[i].Request, head, micros).ConfigureAwait(false);
                    if (results[i]!.Outcome == AppendOutcome.Appended && results[i]!.LastPosition > 0)
                    {
                        head = results[i]!.LastPosition;
                    }
                }
                catch (Exception ex) when (ex is WrongExpectedVersionException or InvalidAppendException)
                {
                    errors[i] = ex;
                }
            }

            if (head != start)
            {
                await using var move = new NpgsqlCommand("UPDATE head SET position = @h WHERE id = 1; SELECT pg_notify(@c, @h::text)", connection, tx);
                move.Parameters.AddWithValue("h", head);
                move.Parameters.AddWithValue("c", _channel);
                await move.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await tx.CommitAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the commit failed: every caller hears of it, the writer lives on
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _writeError = ex.Message;
            var error = IsUnavailable(ex) ? new StoreUnavailableException("the log cannot write now: " + ex.Message, ex) : ex;
            foreach (var item in batch)
            {
                item.Completion.TrySetException(error);
            }

            return;
        }

        _writeError = null;
        AdvanceHead(head);
        for (var i = 0; i < batch.Count; i++)
        {
            if (errors[i] is { } error)
            {
                batch[i].Completion.TrySetException(error);
            }
            else
            {
                batch[i].Completion.TrySetResult(results[i]!);
            }
        }
    }

    /// <summary>
    /// One append: inbox, event ids and the stream's version in one round trip, then the rows in a second. The head row
    /// is locked by this transaction, so the version read here cannot change before the commit.
    /// </summary>
    static async Task<AppendResult> AppendOneAsync(NpgsqlConnection connection, NpgsqlTransaction tx, AppendRequest request, long head, long micros)
    {
        var ids = request.Events.Select(e => e.EventId).ToArray();
        await using var checks = new NpgsqlBatch(connection, tx);
        checks.BatchCommands.Add(Command("SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2",
            request.Inbox?.Consumer ?? "", request.Inbox?.SourceEventId ?? ""));
        checks.BatchCommands.Add(Command("SELECT event_id, position, stream_id, stream_version FROM events WHERE event_id = ANY($1)", (object)ids));
        checks.BatchCommands.Add(Command("SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = $1", request.StreamId));
        bool duplicateInbox;
        var existing = new Dictionary<string, (long Position, string Stream, long Version)>(StringComparer.Ordinal);
        long current;
        await using (var reader = await checks.ExecuteReaderAsync().ConfigureAwait(false))
        {
            await reader.ReadAsync().ConfigureAwait(false);
            duplicateInbox = request.Inbox is not null && reader.GetInt64(0) > 0;
            await reader.NextResultAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                existing[reader.GetString(0)] = (reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3));
            }

            await reader.NextResultAsync().ConfigureAwait(false);
            await reader.ReadAsync().ConfigureAwait(false);
            current = reader.GetInt64(0);
        }

        if (duplicateInbox)
        {
            return new AppendResult(AppendOutcome.DuplicateInbox, current, 0, 0);
        }

        AppendResult result;
        if (existing.Count > 0)
        {
            result = Existing(request, existing);
        }
        else
        {
            if (request.ExpectedVersion != ExpectedVersion.Any && request.ExpectedVersion != current)
            {
                throw new WrongExpectedVersionException(request.StreamId, request.ExpectedVersion, current);
            }

            result = new AppendResult(AppendOutcome.Appended, current + request.Events.Count,
                request.Events.Count == 0 ? 0 : head + 1, request.Events.Count == 0 ? 0 : head + request.Events.Count);
        }

        await using var writes = new NpgsqlBatch(connection, tx);
        if (result.Outcome == AppendOutcome.Appended && request.Events.Count > 0)
        {
            var n = request.Events.Count;
            writes.BatchCommands.Add(Command(
                "INSERT INTO events(position, stream_id, stream_version, event_id, type, data, recorded_at, metadata) " +
                "SELECT p, $2, v, id, t, d, $7, m FROM unnest($1::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bytea[], $8::bytea[]) AS x(p, v, id, t, d, m)",
                Enumerable.Range(1, n).Select(i => head + i).ToArray(),
                request.StreamId,
                Enumerable.Range(1, n).Select(i => current + i).ToArray(),
                ids,
                request.Events.Select(e => e.Type).ToArray(),
                request.Events.Select(e => e.Data.ToByteArray()).ToArray(),
                micros,
                request.Events.Select(e => (e.Metadata ?? new EventMetadata()).ToByteArray()).ToArray()));
        }

        if (request.Inbox is { } entry)
        {
            writes.BatchCommands.Add(Command("INSERT INTO inbox(consumer, event_id, source_service, source_position, processed_at) VALUES ($1, $2, $3, $4, $5)",
                entry.Consumer, entry.SourceEventId, entry.SourceService, entry.SourcePosition, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        }

        if (writes.BatchCommands.Count > 0)
        {
            await writes.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>An append whose event ids are all in the log already is a retry: answer with the original positions.</summary>
    static AppendResult Existing(AppendRequest request, Dictionary<string, (long Position, string Stream, long Version)> existing)
    {
        foreach (var e in request.Events)
        {
            if (existing.TryGetValue(e.EventId, out var found) && !string.Equals(found.Stream, request.StreamId, StringComparison.Ordinal))
            {
                throw new InvalidAppendException("event_id", $"event_id {e.EventId} is already in stream '{found.Stream}'");
            }
        }

        if (existing.Count != request.Events.Count)
        {
            throw new InvalidAppendException("event_id", $"{existing.Count} of {request.Events.Count} event ids are already in the log; a retry must resend the same events");
        }

        var first = existing[request.Events[0].EventId];
        var last = existing[request.Events[^1].EventId];
        return new AppendResult(AppendOutcome.AlreadyAppended, last.Version, first.Position, last.Position);
    }

    static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return cmd;
    }

    sealed class AppendItem(AppendRequest request)
    {
        public AppendRequest Request { get; } = request;

        public TaskCompletionSource<AppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
