using System.Net.Sockets;
using System.Threading.Channels;
using Npgsql;

namespace Csto.EventLog;

/// <summary>
/// The log in PostgreSQL, for several instances of a service against one database (one schema per service).
/// <para>
/// Readers never skip: an append transaction numbers its events after locking the log's head row
/// (<c>SELECT … FOR UPDATE</c>) and moves the head in the same transaction, so the next writer — of this instance or
/// another — can number its events only after this one committed. Commit order is position order: the committed
/// positions are always a prefix 1..head with no hole, and a reader (relay, projections, StreamEvents, ListEvents,
/// consumers' catch-up) that sees position N+1 has N too. This serializes the writers of one log; group commit keeps
/// that cheap (one instance commits the appends of many callers in one transaction, one lock and one WAL flush for the
/// batch). A high-water mark beside sequences would let writers overlap, but needs every reader to stop at it; the
/// lock needs nothing from the readers.
/// </para>
/// <para>
/// Other instances' appends are seen through LISTEN/NOTIFY (the commit notifies the new head), with a poll of the head
/// every second as a fallback. When the database cannot be reached, writes and reads throw
/// <see cref="StoreUnavailableException"/>; Npgsql's pool reconnects when it is back, without a restart.
/// </para>
/// </summary>
public sealed partial class PostgresEventStore : IEventStore, IAsyncDisposable
{
    const int MaxBatch = 1024;
    readonly PostgresPool _pool;
    readonly string _channel;
    readonly Channel<AppendItem> _queue = Channel.CreateUnbounded<AppendItem>(new UnboundedChannelOptions { SingleReader = true });
    readonly CancellationTokenSource _stopping = new();
    readonly Task _writer;
    readonly Task _listener;
    long _head;
    volatile string? _writeError;
    TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    PostgresEventStore(PostgresPool pool, string serviceName, string schema, long head)
    {
        _pool = pool;
        ServiceName = serviceName;
        Schema = schema;
        _channel = schema + "_appended";
        _head = head;
        _writer = Task.Run(WriterLoopAsync);
        _listener = Task.Run(ListenLoopAsync);
    }

    /// <summary>
    /// Connects, creates the service's schema and tables when missing and reads the head. Throws
    /// <see cref="InvalidOperationException"/> naming <c>ConnectionStrings:EventLog</c> when the string is malformed or the
    /// database cannot be reached: a service must refuse to start rather than run on another store.
    /// </summary>
    public static PostgresEventStore Open(string connectionString, string serviceName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"ConnectionStrings:EventLog is not a valid PostgreSQL connection string: {ex.Message}", ex);
        }

        // the service's own schema, unless the connection string names one (Search Path=…): two deployments in one database
        var schema = string.IsNullOrEmpty(builder.SearchPath) ? PostgresSchema.For(serviceName) : builder.SearchPath;
        if (!PostgresSchema.IsPlainName(schema))
        {
            throw new InvalidOperationException($"ConnectionStrings:EventLog: Search Path '{schema}' must be one schema name (lower-case letters, digits, _)");
        }

        builder.SearchPath = schema;

        // health answers within 3 s: a dead server must not hold a caller for Npgsql's default 15 s
        if (builder.Timeout == 15)
        {
            builder.Timeout = 5;
        }

        var pool = PostgresPool.Create(builder, connectionString, serviceName);
        try
        {
            using var connection = pool.DataSource.OpenConnection();
            using var tx = connection.BeginTransaction();
            // instances starting together: one creates the schema, the others wait and find it
            Execute(connection, tx, "SELECT pg_advisory_xact_lock(hashtext('csto-schema'))");
            Execute(connection, tx, PostgresSchema.CreateTables(schema));
            long head;
            using (var cmd = new NpgsqlCommand("SELECT position FROM head WHERE id = 1", connection, tx))
            {
                head = (long)cmd.ExecuteScalar()!;
            }

            tx.Commit();
            return new PostgresEventStore(pool, serviceName, schema, head);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw new InvalidOperationException(
                $"ConnectionStrings:EventLog: cannot open the PostgreSQL log at {builder.Host}:{builder.Port}/{builder.Database} as {builder.Username}: {ex.Message}", ex);
        }
    }

    int _pending;

    /// <summary>Appends queued for the writer and not yet taken into a batch (the single-reader channel cannot count).</summary>
    public int PendingWrites => Volatile.Read(ref _pending);

    public string ServiceName { get; }

    /// <summary>The schema of this service's log and projection tables.</summary>
    public string Schema { get; }

    /// <summary>The committed head as this instance last saw it (its own commits, other instances' notifications, the poll).</summary>
    public long HeadPosition => Volatile.Read(ref _head);

    public string? WriteError => _writeError;

    /// <summary>Connection failures, a server shutting down or starting up, too many connections: the same call can succeed later.</summary>
    static bool IsUnavailable(Exception ex) => ex switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState.StartsWith("53", StringComparison.Ordinal),
        NpgsqlException => true,
        SocketException or TimeoutException or IOException => true,
        InvalidOperationException when ex.InnerException is { } inner => IsUnavailable(inner),
        _ => false,
    };

    /// <summary>The instance's connections: its budget and what is in use (GetLogInfo).</summary>
    public PostgresPool Pool => _pool;

    /// <summary>
    /// Runs a read or a small write on a pooled connection from the share of reads, or of <paramref name="upkeep"/> (the
    /// relay's lease and checkpoints, health, the head); an unreachable or busy database is <see cref="StoreUnavailableException"/>.
    /// </summary>
    async Task<T> WithConnectionAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken, bool upkeep = false)
    {
        try
        {
            await using var lease = await _pool.OpenAsync(upkeep, cancellationToken).ConfigureAwait(false);
            return await work(lease.Connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw new StoreUnavailableException("the PostgreSQL log cannot be reached: " + ex.Message, ex);
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction on its own connection (checkpoints, projections, leases).</summary>
    Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken, bool upkeep = false) =>
        WithConnectionAsync(async connection =>
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var result = await work(connection, tx).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }, cancellationToken, upkeep);

    public async Task ProbeWriteAsync(CancellationToken cancellationToken)
    {
        try
        {
            var readOnly = await InTransactionAsync(async (c, t) =>
            {
                await using var cmd = new NpgsqlCommand("SELECT pg_is_in_recovery()", c, t);
                return (bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }, cancellationToken, upkeep: true).ConfigureAwait(false);
            if (readOnly)
            {
                throw new StoreUnavailableException("the PostgreSQL server is a read-only standby");
            }
        }
        catch (StoreUnavailableException ex)
        {
            _writeError = ex.Message;
            throw;
        }
    }

    /// <summary>Moves the known head forward (never back) and wakes the waiters of <see cref="WaitForAppendAsync"/>.</summary>
    void AdvanceHead(long head)
    {
        long seen;
        do
        {
            seen = Volatile.Read(ref _head);
            if (head <= seen)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _head, head, seen) != seen);

        Interlocked.Exchange(ref _appended, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Reads the head row (what every instance committed) and moves the known head to it.</summary>
    public async Task<long> ReadHeadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var lease = await _pool.OpenAsync(upkeep: true, cancellationToken).ConfigureAwait(false);
            await using var read = new NpgsqlCommand("SELECT position FROM head WHERE id = 1", lease.Connection);
            AdvanceHead((long)(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new StoreUnavailableException("the database does not answer: " + ex.Message, ex);
        }

        return HeadPosition;
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

    /// <summary>
    /// Follows other instances' commits: LISTEN on the log's channel (each commit notifies its head), and a read of the
    /// head row when no notification came for a second or after a reconnect, so a lost notification delays, never hides.
    /// </summary>
    async Task ListenLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await using var lease = await _pool.OpenHeldAsync(token).ConfigureAwait(false);
                var connection = lease.Connection;
                connection.Notification += (_, e) =>
                {
                    if (long.TryParse(e.Payload, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var head))
                    {
                        AdvanceHead(head);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN \"{_channel}\"", connection))
                {
                    await listen.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }

                await using var read = new NpgsqlCommand("SELECT position FROM head WHERE id = 1", connection);
                while (!token.IsCancellationRequested)
                {
                    AdvanceHead((long)(await read.ExecuteScalarAsync(token).ConfigureAwait(false))!);
                    await connection.WaitAsync(TimeSpan.FromSeconds(1), token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the database is away: the writer reports it; listen again when it is back
            catch (Exception)
#pragma warning restore CA1031
            {
                await Task.Delay(500, token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
    }

    int _disposed;

    /// <summary>Idempotent: the container disposes the store once per service type it is registered under.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _listener.ConfigureAwait(false);
        _stopping.Dispose();
        await _pool.DisposeAsync().ConfigureAwait(false);
    }

    static void Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, connection, transaction);
        cmd.ExecuteNonQuery();
    }
}
