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
        Interlocked.Increment(ref _pending);
        if (!_queue.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _pending);
            throw new StoreUnavailableException(_writeError ?? "the log is closed");
        }

        return item.Completion.Task;
    }

    PostgresPool.Lease? _writerConnection;

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

            Interlocked.Add(ref _pending, -batch.Count);
            await CommitBatchAsync(batch).ConfigureAwait(false);
        }

        if (_writerConnection is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Three round trips per batch, whatever its size: (1) lock the head row and read, for every append, its inbox entry,
    /// its event ids and its stream's version; (2) insert every row of the batch (one unnest INSERT for the events, one
    /// for the inbox), move the head and notify; (3) commit. Between (1) and (2) the appends are decided in memory, each
    /// seeing the ones before it in the batch (<see cref="BatchState"/>), as SQLite's writer does in its transaction.
    /// </summary>
    async Task CommitBatchAsync(List<AppendItem> batch)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var results = new AppendResult?[batch.Count];
        var errors = new Exception?[batch.Count];
        BatchState state;
        long before;
        try
        {
            // the writer keeps its connection between batches (no pool round trip per batch); a failure drops it below
            var connection = (_writerConnection ??= await _pool.OpenHeldAsync(CancellationToken.None).ConfigureAwait(false)).Connection;
            await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
            await using (var checks = new NpgsqlBatch(connection, tx))
            {
                checks.BatchCommands.Add(new NpgsqlBatchCommand("SELECT position FROM head WHERE id = 1 FOR UPDATE"));
                foreach (var item in batch)
                {
                    var request = item.Request;
                    checks.BatchCommands.Add(Command("SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2", request.Inbox?.Consumer ?? "", request.Inbox?.SourceEventId ?? ""));
                    checks.BatchCommands.Add(Command("SELECT event_id, position, stream_id, stream_version FROM events WHERE event_id = ANY($1)", (object)request.Events.Select(e => e.EventId).ToArray()));
                    checks.BatchCommands.Add(Command("SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = $1", request.StreamId));
                }

                await using var reader = await checks.ExecuteReaderAsync().ConfigureAwait(false);
                await reader.ReadAsync().ConfigureAwait(false);
                before = reader.GetInt64(0);
                state = new BatchState(before);
                for (var i = 0; i < batch.Count; i++)
                {
                    var found = new Found();
                    await reader.NextResultAsync().ConfigureAwait(false);
                    await reader.ReadAsync().ConfigureAwait(false);
                    found.InboxExists = reader.GetInt64(0) > 0;
                    await reader.NextResultAsync().ConfigureAwait(false);
                    while (await reader.ReadAsync().ConfigureAwait(false))
                    {
                        found.Events[reader.GetString(0)] = (reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3));
                    }

                    await reader.NextResultAsync().ConfigureAwait(false);
                    await reader.ReadAsync().ConfigureAwait(false);
                    found.Version = reader.GetInt64(0);
                    try
                    {
                        results[i] = state.Decide(batch[i].Request, found);
                    }
                    catch (Exception ex) when (ex is WrongExpectedVersionException or InvalidAppendException)
                    {
                        errors[i] = ex;
                    }
                }
            }

            if (state.HasWrites)
            {
                await using var writes = state.Writes(connection, tx, _channel, (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10);
                await writes.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await tx.CommitAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the commit failed: every caller hears of it, the writer lives on
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _writeError = ex.Message;
            if (_writerConnection is { } broken)
            {
                _writerConnection = null;
                await broken.DisposeAsync().ConfigureAwait(false);
            }

            var error = IsUnavailable(ex) ? new StoreUnavailableException("the log cannot write now: " + ex.Message, ex) : ex;
            foreach (var item in batch)
            {
                item.Completion.TrySetException(error);
            }

            return;
        }

        _writeError = null;
        AdvanceHead(state.Head);
        var appends = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (errors[i] is { } error)
            {
                batch[i].Completion.TrySetException(error);
            }
            else
            {
                appends++;
                batch[i].Completion.TrySetResult(results[i]!);
            }
        }

        Hosting.EventLogTelemetry.Committed(ServiceName, batch.Count, appends, state.Head - before, started);
    }

    /// <summary>An append whose event ids are all in the log already is a retry: answer with the original positions.</summary>
    internal static AppendResult Existing(AppendRequest request, Dictionary<string, (long Position, string Stream, long Version)> existing)
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
