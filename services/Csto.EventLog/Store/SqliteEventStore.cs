using System.Threading.Channels;
using Csto.EventLog.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Csto.EventLog;

/// <summary>
/// The log on one SQLite file (WAL, synchronous=FULL: a completed append survives a crash of the process or
/// the machine). One writer task owns the write connection and commits many callers' work in one
/// transaction (group commit), each caller's work inside its own savepoint so that one rejected append
/// does not undo the others. Readers use their own pooled connections and never block the writer.
/// </summary>
public sealed partial class SqliteEventStore : IEventStore, IAsyncDisposable
{
    const int MaxBatch = 1024;
    readonly string _connectionString;
    readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    readonly Dictionary<string, long> _streamVersions = new(StringComparer.Ordinal);
    readonly SqliteConnection _writeConnection;
    readonly WriterStatements _statements;
    readonly Task _writer;
    long _head;
    TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SqliteEventStore(string path, string serviceName)
    {
        ServiceName = serviceName;
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, OwnerOnly | UnixFileMode.UserExecute);
            }
        }

        CloseToOthers(path);

        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _writeConnection = new SqliteConnection(_connectionString);
        _writeConnection.Open();
        Execute(_writeConnection, SqliteSchema.WriterPragmas);
        Execute(_writeConnection, SqliteSchema.CreateTables);
        using (var cmd = _writeConnection.CreateCommand())
        {
            cmd.CommandText = "SELECT COALESCE(MAX(position), 0) FROM events";
            _head = (long)cmd.ExecuteScalar()!;
            _headAtOpen = _head;
        }

        _statements = new WriterStatements(_writeConnection);
        _writer = Task.Factory.StartNew(WriterLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// The log is readable by its owner only (0600), whoever's umask started the service: a new file is created so, and an
    /// existing one (with its -wal and -shm, which SQLite creates with the database file's mode) is closed again.
    /// </summary>
    static void CloseToOthers(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (!File.Exists(path))
        {
            using var created = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly });
        }

        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            if (File.Exists(file) && (File.GetUnixFileMode(file) & ~OwnerOnly) != 0)
            {
                File.SetUnixFileMode(file, File.GetUnixFileMode(file) & OwnerOnly);
            }
        }
    }

    public string ServiceName { get; }

    public string ConnectionString => _connectionString;

    public long HeadPosition => Volatile.Read(ref _head);

    /// <summary>SQLITE_BUSY / SQLITE_LOCKED / SQLITE_FULL / SQLITE_IOERR: the same work can succeed later.</summary>
    static bool IsTransient(Exception ex) => ex is SqliteException { SqliteErrorCode: 5 or 6 or 13 or 10 };

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

        return AppendAndNoteTypesAsync(request, cancellationToken);
    }

    async Task<AppendResult> AppendAndNoteTypesAsync(AppendRequest request, CancellationToken cancellationToken)
    {
        var result = await EnqueueAsync<AppendResult>((c, t, s) => Append(c, t, s, request), cancellationToken, savepoint: false).ConfigureAwait(false);
        if (result.Outcome != AppendOutcome.DuplicateInbox && request.Events.Count > 0)
        {
            // before the caller hears of its append: a read it makes next waits for at least this position
            lock (_lastOfType)
            {
                for (var i = 0; i < request.Events.Count; i++)
                {
                    var position = result.FirstPosition + i;
                    var type = request.Events[i].Type;
                    if (!_lastOfType.TryGetValue(type, out var known) || known < position)
                    {
                        _lastOfType[type] = position;
                    }
                }

                foreach (var (prefix, last) in _lastOfPrefix)
                {
                    if (request.StreamId.StartsWith(prefix, StringComparison.Ordinal) && last.Position < result.LastPosition)
                    {
                        last.Position = result.LastPosition;
                    }
                }
            }
        }

        return result;
    }

    readonly Dictionary<string, long> _lastOfType = new(StringComparer.Ordinal);
    long _headAtOpen;

    public Task<long> ReadLastPositionOfTypesAsync(IReadOnlyCollection<string> types, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(types);
        var last = 0L;
        lock (_lastOfType)
        {
            foreach (var type in types)
            {
                // a type not appended since the log opened may be anywhere up to the head at opening
                last = Math.Max(last, _lastOfType.TryGetValue(type, out var position) ? position : _headAtOpen);
            }
        }

        return Task.FromResult(last);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the writer connection inside the next group-commit transaction
    /// (in its own savepoint). Projections and checkpoints write through here so the file has one writer.
    /// </summary>
    public Task<T> ExecuteWriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken = default) =>
        EnqueueAsync<T>((c, t, _) => work(c, t), cancellationToken);

    Task<T> EnqueueAsync<T>(Func<SqliteConnection, SqliteTransaction, BatchState, object?> work, CancellationToken cancellationToken, bool savepoint = true)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var item = new WorkItem(work, savepoint);
        Interlocked.Increment(ref _pending);
        if (!_queue.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _pending);
            throw new StoreUnavailableException(_writeError ?? "the log is closed");
        }

        return AwaitTyped<T>(item.Completion.Task);
    }

    static async Task<T> AwaitTyped<T>(Task<object?> task) => (T)(await task.ConfigureAwait(false))!;

    async Task WriterLoop()
    {
        var batch = new List<WorkItem>(MaxBatch);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                Interlocked.Add(ref _pending, -batch.Count);
                CommitBatch(batch);
            }
        }
#pragma warning disable CA1031 // the writer must never die silently: every waiting and later caller hears of it
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _writeError = "the writer stopped: " + ex.Message;
            _queue.Writer.TryComplete(ex);
            foreach (var item in batch)
            {
                item.Completion.TrySetException(new StoreUnavailableException(_writeError, ex));
            }

            while (reader.TryRead(out var left))
            {
                left.Completion.TrySetException(new StoreUnavailableException(_writeError, ex));
            }
        }
    }

    volatile string? _writeError;

    /// <summary>Whether the last commit succeeded (null) or why it failed: while the file is locked by another process, a full disk, a dead writer.</summary>
    public string? WriteError => _writeError;

    /// <summary>Completes when the writer can commit a (empty) transaction, so health can tell whether the store accepts writes.</summary>
    public Task ProbeWriteAsync(CancellationToken cancellationToken) =>
        ExecuteWriteAsync((_, _) => true, cancellationToken).WaitAsync(cancellationToken); // the writer may wait up to its busy timeout

    int _pending;

    /// <summary>Work items queued for the writer and not yet taken into a batch (the single-reader channel cannot count).</summary>
    public int PendingWrites => Volatile.Read(ref _pending);

    void CommitBatch(List<WorkItem> batch)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var state = new BatchState(this);
        var results = new object?[batch.Count];
        var errors = new Exception?[batch.Count];
        try
        {
            using var tx = _writeConnection.BeginTransaction(deferred: false);
            for (var i = 0; i < batch.Count; i++)
            {
                state.BeginItem();
                if (!batch[i].Savepoint)
                {
                    // An append checks everything (inbox, event ids, expected version) before it writes, so a
                    // refusal leaves nothing to undo; a failure while writing fails the whole batch below.
                    try
                    {
                        results[i] = batch[i].Work(_writeConnection, tx, state);
                        state.KeepItem();
                    }
                    catch (Exception ex) when (ex is WrongExpectedVersionException or InvalidAppendException)
                    {
                        state.DropItem();
                        errors[i] = ex;
                    }

                    continue;
                }

                _statements.Run(_statements.Savepoint, tx);
                try
                {
                    results[i] = batch[i].Work(_writeConnection, tx, state);
                    _statements.Run(_statements.Release, tx);
                    state.KeepItem();
                }
#pragma warning disable CA1031 // one caller's failure must not fail the others in the batch
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _statements.Run(_statements.Rollback, tx);
                    state.DropItem();
                    errors[i] = ex;
                }
            }

            tx.Commit();
        }
#pragma warning disable CA1031 // the commit failed: every caller hears of it, the writer lives on
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // every caller hears of the failure first; nothing of the batch was committed, so the head did not move
            _writeError = ex.Message;
            _streamVersions.Clear();
            foreach (var item in batch)
            {
                item.Completion.TrySetException(IsTransient(ex) ? new StoreUnavailableException("the log cannot write now: " + ex.Message, ex) : ex);
            }

            return;
        }

        _writeError = null;

        foreach (var (stream, version) in state.CommittedVersions)
        {
            _streamVersions[stream] = version;
        }

        var before = Volatile.Read(ref _head);
        var moved = state.Head != before;
        Volatile.Write(ref _head, state.Head);
        var appends = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (errors[i] is { } error)
            {
                batch[i].Completion.TrySetException(error);
            }
            else
            {
                appends += batch[i].Savepoint ? 0 : 1;
                batch[i].Completion.TrySetResult(results[i]);
            }
        }

        Hosting.EventLogTelemetry.Committed(ServiceName, batch.Count, appends, state.Head - before, started);

        if (moved)
        {
            Interlocked.Exchange(ref _appended, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    public async Task WaitForAppendAsync(long knownHead, CancellationToken cancellationToken)
    {
        while (HeadPosition <= knownHead)
        {
            var signal = Volatile.Read(ref _appended).Task;
            if (HeadPosition > knownHead)
            {
                return;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Opens a read connection (pooled). Queries of projections use it too.</summary>
    public SqliteConnection OpenReadConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>The streams read last, in memory: a stream read again costs only what was appended since (see <see cref="StreamCache"/>).</summary>
    public StreamCache Streams { get; } = new();

    public Task<IReadOnlyList<EventRecord>> ReadStreamAsync(string streamId, long fromVersion = 1, CancellationToken cancellationToken = default) =>
        Streams.ReadAsync(streamId, fromVersion, (from, ct) => ReadStreamFromDatabaseAsync(streamId, from, ct), cancellationToken);

    /// <summary>One lookup on the event id's unique index.</summary>
    public async Task<long> FindEventVersionAsync(string streamId, string eventId, CancellationToken cancellationToken = default)
    {
        await using var connection = OpenReadConnection();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT stream_version FROM events WHERE event_id = $id AND stream_id = $s";
        cmd.Parameters.AddWithValue("$id", eventId);
        cmd.Parameters.AddWithValue("$s", streamId);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long version ? version : 0;
    }

    async Task<IReadOnlyList<EventRecord>> ReadStreamFromDatabaseAsync(string streamId, long fromVersion, CancellationToken cancellationToken)
    {
        await using var connection = OpenReadConnection();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {SqliteSchema.RecordColumns} FROM events WHERE stream_id = $s AND stream_version >= $v ORDER BY stream_version";
        cmd.Parameters.AddWithValue("$s", streamId);
        cmd.Parameters.AddWithValue("$v", fromVersion);
        var list = new List<EventRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(ReadRecord(reader));
        }

        return list;
    }

    /// <summary>
    /// The last position of a prefix's streams, noted as this store appends (it is the file's one writer), after one scan
    /// when the prefix is first asked for. The roster asks before each report and position: a MAX over every roster row
    /// each time was 45 % of an operations write at 64 callers.
    /// </summary>
    public async Task<long> ReadLastPositionAsync(string streamIdPrefix, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamIdPrefix);
        PrefixLast? noted;
        lock (_lastOfType)
        {
            if (_lastOfPrefix.TryGetValue(streamIdPrefix, out noted))
            {
                if (noted.Scanned)
                {
                    return noted.Position;
                }
            }
            else
            {
                // registered before the scan: an append noted too early for it was committed before the scan began
                noted = new PrefixLast();
                _lastOfPrefix[streamIdPrefix] = noted;
            }
        }

        var scanned = await ScanLastPositionAsync(streamIdPrefix, cancellationToken).ConfigureAwait(false);
        lock (_lastOfType)
        {
            noted.Position = Math.Max(noted.Position, scanned);
            noted.Scanned = true;
            return noted.Position;
        }
    }

    readonly Dictionary<string, PrefixLast> _lastOfPrefix = new(StringComparer.Ordinal);

    sealed class PrefixLast
    {
        public long Position;
        public bool Scanned;
    }

    async Task<long> ScanLastPositionAsync(string streamIdPrefix, CancellationToken cancellationToken)
    {
        await using var connection = OpenReadConnection();
        await using var cmd = connection.CreateCommand();
        // a range on the (stream_id, stream_version) index: only the prefix's rows are visited
        cmd.CommandText = "SELECT COALESCE(MAX(position), 0) FROM events WHERE stream_id >= $lo AND stream_id < $hi";
        cmd.Parameters.AddWithValue("$lo", streamIdPrefix);
        cmd.Parameters.AddWithValue("$hi", PrefixEnd(streamIdPrefix));
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The smallest string greater than every string that starts with <paramref name="prefix"/>.</summary>
    internal static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    public Task<ReadSlice> ReadAllAsync(long fromPosition, long toPosition, ReadFilter filter, int maxRecords, CancellationToken cancellationToken = default)
    {
        var list = new List<EventRecord>(Math.Min(Math.Max(maxRecords, 0), 4096));
        if (ReadAllQuery(fromPosition, toPosition, filter, maxRecords) is not { } query)
        {
            return Task.FromResult(new ReadSlice(list, NothingRead(fromPosition)));
        }

        using var connection = OpenReadConnection();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = query.Sql;
        foreach (var (name, value) in query.Parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        var last = 0L;
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                var record = ReadRecord(reader);
                list.Add(record);
                last = record.Position;
            }
        }

        return Task.FromResult(new ReadSlice(list, query.ScannedTo(list.Count, last)));
    }

    /// <summary>
    /// The same read as <see cref="ReadAllAsync"/>, encoded from the columns: each row's values are read as spans of
    /// SQLite's own memory (SQLitePCL's raw statement: the text columns as their stored UTF-8, the blobs as stored) and
    /// copied once, into the encoder's buffer. Nothing is allocated per row and the metadata is not parsed.
    /// </summary>
    public Task<EncodedSlice> ReadAllEncodedAsync(long fromPosition, long toPosition, ReadFilter filter, int maxRecords, CancellationToken cancellationToken = default)
    {
        if (ReadAllQuery(fromPosition, toPosition, filter, maxRecords) is not { } query)
        {
            return Task.FromResult(new EncodedSlice(null, NothingRead(fromPosition)));
        }

        using var encoder = new EventBatchEncoder(ServiceName);
        using var connection = OpenReadConnection();
        var db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(db, query.Sql, out sqlite3_stmt statement);
        using (statement)
        {
            Check(rc, db);
            foreach (var (name, value) in query.Parameters)
            {
                var index = raw.sqlite3_bind_parameter_index(statement, name);
                Check(value is long number ? raw.sqlite3_bind_int64(statement, index, number) : raw.sqlite3_bind_text(statement, index, (string)value), db);
            }

            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                encoder.Add(
                    raw.sqlite3_column_int64(statement, 0),
                    raw.sqlite3_column_blob(statement, 1), // TEXT as its stored UTF-8: no decoding and encoding again
                    raw.sqlite3_column_int64(statement, 2),
                    raw.sqlite3_column_blob(statement, 3),
                    raw.sqlite3_column_blob(statement, 4),
                    raw.sqlite3_column_blob(statement, 5),
                    raw.sqlite3_column_int64(statement, 6),
                    raw.sqlite3_column_blob(statement, 7));
            }

            if (rc != raw.SQLITE_DONE)
            {
                Check(rc, db);
            }
        }

        var count = encoder.Count;
        var last = encoder.LastPosition;
        return Task.FromResult(new EncodedSlice(encoder.Build(), query.ScannedTo(count, last)));

        static void Check(int rc, sqlite3 db)
        {
            if (rc != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, db);
            }
        }
    }

    /// <summary>How far a read that had nothing to read covered: up to just before where it was asked to start.</summary>
    static long NothingRead(long fromPosition) => Math.Max(fromPosition, 1) - 1;

    /// <summary>The SQL of one read of the log in position order, its parameters and the window it scans.</summary>
    sealed record AllQuery(string Sql, List<(string Name, object Value)> Parameters, int MaxRecords, long ToPosition)
    {
        /// <summary>How far the read covered: the last row's position when it stopped full, else the end of the scanned window.</summary>
        public long ScannedTo(int rows, long lastPosition) => rows == MaxRecords ? lastPosition : ToPosition;
    }

    /// <summary>
    /// The read of the records from <paramref name="fromPosition"/> in position order, at most <paramref name="maxRecords"/>
    /// (null when there is nothing to read).
    /// </summary>
    AllQuery? ReadAllQuery(long fromPosition, long toPosition, ReadFilter filter, int maxRecords)
    {
        ArgumentNullException.ThrowIfNull(filter);
        fromPosition = Math.Max(1, fromPosition);
        toPosition = Math.Min(toPosition, HeadPosition);
        if (fromPosition > toPosition || maxRecords <= 0)
        {
            return null;
        }

        var parameters = new List<(string Name, object Value)>();
        var sql = new System.Text.StringBuilder($"SELECT {SqliteSchema.RecordColumns} FROM events WHERE position BETWEEN $from AND $to");
        if (filter.IsEmpty)
        {
            // Without filters the scan is the read: the window is the batch.
            toPosition = Math.Min(toPosition, fromPosition + maxRecords - 1);
        }
        else
        {
            // Filtered reads scan a bounded window so that the caller can report progress while nothing matches.
            toPosition = Math.Min(toPosition, fromPosition + Math.Max(maxRecords, 10_000) - 1);
            if (!string.IsNullOrEmpty(filter.StreamIdPrefix))
            {
                sql.Append(" AND substr(stream_id, 1, length($prefix)) = $prefix");
                parameters.Add(("$prefix", filter.StreamIdPrefix));
            }

            if (filter.Types is { Count: > 0 } types)
            {
                sql.Append(" AND type IN (");
                var i = 0;
                foreach (var type in types)
                {
                    sql.Append(i == 0 ? "" : ",").Append("$t").Append(i);
                    parameters.Add(("$t" + i, type));
                    i++;
                }

                sql.Append(')');
            }
        }

        sql.Append(" ORDER BY position LIMIT $limit");
        parameters.Add(("$from", fromPosition));
        parameters.Add(("$to", toPosition));
        parameters.Add(("$limit", (long)maxRecords));
        return new AllQuery(sql.ToString(), parameters, maxRecords, toPosition);
    }

    EventRecord ReadRecord(SqliteDataReader reader)
    {
        var micros = reader.GetInt64(6);
        return new EventRecord
        {
            Position = reader.GetInt64(0),
            StreamId = reader.GetString(1),
            StreamVersion = reader.GetInt64(2),
            EventId = reader.GetString(3),
            Type = reader.GetString(4),
            // the reader hands out a fresh array per blob: wrap it instead of copying it a second time
            Data = UnsafeByteOperations.UnsafeWrap((byte[])reader.GetValue(5)),
            RecordedAt = new Timestamp { Seconds = micros / 1_000_000, Nanos = (int)(micros % 1_000_000) * 1000 },
            Metadata = EventMetadata.Parser.ParseFrom((byte[])reader.GetValue(7)),
            SourceService = ServiceName,
        };
    }

    public async Task<long> GetCheckpointAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = OpenReadConnection();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT position FROM checkpoints WHERE name = $n";
        cmd.Parameters.AddWithValue("$n", name);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long p ? p : 0;
    }

    public Task SetCheckpointAsync(string name, long position, CancellationToken cancellationToken = default) =>
        ExecuteWriteAsync((c, t) => { WriteCheckpoint(c, t, name, position); return true; }, cancellationToken);

    public static void WriteCheckpoint(SqliteConnection connection, SqliteTransaction transaction, string name, long position)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = "INSERT INTO checkpoints(name, position) VALUES ($n, $p) ON CONFLICT(name) DO UPDATE SET position = excluded.position";
        cmd.Parameters.AddWithValue("$n", name);
        cmd.Parameters.AddWithValue("$p", position);
        cmd.ExecuteNonQuery();
    }

    public async Task<bool> IsProcessedAsync(string consumer, string sourceEventId, CancellationToken cancellationToken = default)
    {
        await using var connection = OpenReadConnection();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM inbox WHERE consumer = $c AND event_id = $e";
        cmd.Parameters.AddWithValue("$c", consumer);
        cmd.Parameters.AddWithValue("$e", sourceEventId);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    public async Task<IReadOnlyList<ConsumerInfo>> GetConsumersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = OpenReadConnection();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT consumer, source_service, COUNT(*), MAX(source_position) FROM inbox GROUP BY consumer, source_service ORDER BY consumer, source_service";
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
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        _statements.Dispose();
        await _writeConnection.DisposeAsync().ConfigureAwait(false);
    }

    static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    sealed record WorkItem(Func<SqliteConnection, SqliteTransaction, BatchState, object?> Work, bool Savepoint = true)
    {
        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>What the current transaction has done so far, so later items in the batch see earlier ones.</summary>
    sealed class BatchState(SqliteEventStore store)
    {
        readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
        readonly Dictionary<string, long> _itemVersions = new(StringComparer.Ordinal);
        long _itemHead;

        public long Head { get; private set; } = store.HeadPosition;

        public IEnumerable<KeyValuePair<string, long>> CommittedVersions => _versions;

        public void BeginItem()
        {
            _itemVersions.Clear();
            _itemHead = Head;
        }

        public void KeepItem()
        {
            foreach (var (stream, version) in _itemVersions)
            {
                _versions[stream] = version;
            }
        }

        public void DropItem() => Head = _itemHead;

        public long CurrentVersion(SqliteConnection connection, SqliteTransaction transaction, string streamId)
        {
            if (_itemVersions.TryGetValue(streamId, out var v) || _versions.TryGetValue(streamId, out v) || store._streamVersions.TryGetValue(streamId, out v))
            {
                return v;
            }

            using var cmd = connection.CreateCommand();
            cmd.Transaction = transaction;
            cmd.CommandText = "SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = $s";
            cmd.Parameters.AddWithValue("$s", streamId);
            return (long)cmd.ExecuteScalar()!;
        }

        public long NextPosition() => ++Head;

        public void SetVersion(string streamId, long version) => _itemVersions[streamId] = version;
    }

    AppendResult Append(SqliteConnection connection, SqliteTransaction transaction, BatchState state, AppendRequest request)
    {
        if (request.Inbox is { } inbox)
        {
            using var check = connection.CreateCommand();
            check.Transaction = transaction;
            check.CommandText = "SELECT 1 FROM inbox WHERE consumer = $c AND event_id = $e";
            check.Parameters.AddWithValue("$c", inbox.Consumer);
            check.Parameters.AddWithValue("$e", inbox.SourceEventId);
            if (check.ExecuteScalar() is not null)
            {
                return new AppendResult(AppendOutcome.DuplicateInbox, state.CurrentVersion(connection, transaction, request.StreamId), 0, 0);
            }
        }

        AppendResult? result = null;
        if (request.Events.Count > 0)
        {
            result = FindExisting(_statements, transaction, request);
        }

        if (result is null)
        {
            var current = state.CurrentVersion(connection, transaction, request.StreamId);
            if (request.ExpectedVersion != ExpectedVersion.Any && request.ExpectedVersion != current)
            {
                throw new WrongExpectedVersionException(request.StreamId, request.ExpectedVersion, current);
            }

            long first = 0, last = 0;
            var micros = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
            var insert = _statements.Insert;
            insert.Transaction = transaction;
            var (pPos, pStream, pVersion, pId, pType, pData, pAt, pMeta) = _statements.InsertParameters;
            foreach (var e in request.Events)
            {
                var position = state.NextPosition();
                current++;
                first = first == 0 ? position : first;
                last = position;
                pPos.Value = position;
                pStream.Value = request.StreamId;
                pVersion.Value = current;
                pId.Value = e.EventId;
                pType.Value = e.Type;
                pData.Value = e.Data.ToByteArray();
                pAt.Value = micros;
                pMeta.Value = (e.Metadata ?? new EventMetadata()).ToByteArray();
                insert.ExecuteNonQuery();
            }

            state.SetVersion(request.StreamId, current);
            result = new AppendResult(AppendOutcome.Appended, current, first, last);
        }

        if (request.Inbox is { } entry)
        {
            using var cmd = connection.CreateCommand();
            cmd.Transaction = transaction;
            cmd.CommandText = "INSERT INTO inbox(consumer, event_id, source_service, source_position, processed_at) VALUES ($c, $e, $s, $p, $at)";
            cmd.Parameters.AddWithValue("$c", entry.Consumer);
            cmd.Parameters.AddWithValue("$e", entry.SourceEventId);
            cmd.Parameters.AddWithValue("$s", entry.SourceService);
            cmd.Parameters.AddWithValue("$p", entry.SourcePosition);
            cmd.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            cmd.ExecuteNonQuery();
        }

        return result;
    }

    /// <summary>An append whose event ids are all in the log already is a retry: answer with the original positions.</summary>
    static AppendResult? FindExisting(WriterStatements statements, SqliteTransaction transaction, AppendRequest request)
    {
        var cmd = statements.FindEvent;
        cmd.Transaction = transaction;
        var pId = statements.FindEventId;
        var found = 0;
        long first = 0, last = 0, version = 0;
        foreach (var e in request.Events)
        {
            pId.Value = e.EventId;
            using var reader = cmd.ExecuteReader();
            if (reader.Read())
            {
                if (!string.Equals(reader.GetString(1), request.StreamId, StringComparison.Ordinal))
                {
                    throw new InvalidAppendException("event_id", $"event_id {e.EventId} is already in stream '{reader.GetString(1)}'");
                }

                found++;
                first = first == 0 ? reader.GetInt64(0) : first;
                last = reader.GetInt64(0);
                version = reader.GetInt64(2);
            }
        }

        if (found == 0)
        {
            return null;
        }

        return found == request.Events.Count
            ? new AppendResult(AppendOutcome.AlreadyAppended, version, first, last)
            : throw new InvalidAppendException("event_id", $"{found} of {request.Events.Count} event ids are already in the log; a retry must resend the same events");
    }

}

/// <summary>The log cannot write now (locked by another process, disk full, writer stopped): gRPC UNAVAILABLE, consumers retry.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
