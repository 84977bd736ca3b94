using System.Data.Common;
using System.Diagnostics.Metrics;
using Csto.EventLog.V1;
using Npgsql;

namespace Csto.EventLog;

/// <summary>
/// The PostgreSQL connections of one instance: a budget stated in the connection string (<c>Maximum Pool Size</c>, default
/// <see cref="DefaultMaxSize"/>, not Npgsql's 100), split so that what keeps the instance alive always has a connection.
/// <list type="bullet">
/// <item>The writer (group commit) and the listener (other instances' commits) hold one connection each for as long as they run.</item>
/// <item>Upkeep (the relay's lease and checkpoint, health, the head) has two of its own.</item>
/// <item>Everything else (reads, the consumers' inbox checks, projections and queries) shares the rest.</item>
/// </list>
/// A caller that finds its share taken waits at most the connection string's <c>Timeout</c> (5 s by default here) and then
/// gets <see cref="StoreUnavailableException"/> (gRPC <c>UNAVAILABLE</c>): never a pile-up, and the number of connections an
/// instance holds is at most its budget, whatever the broker, the callers or the consumers do.
/// </summary>
public sealed class PostgresPool : IAsyncDisposable
{
    /// <summary>An instance's connections when the connection string does not say (Npgsql's own default is 100).</summary>
    public const int DefaultMaxSize = 20;

    /// <summary>The writer's, the listener's and the two of upkeep.</summary>
    public const int Reserved = 4;

    /// <summary>The smallest budget: the reserved connections and two for reads.</summary>
    public const int MinSize = Reserved + 2;

    const int UpkeepConnections = 2;
    static long _instances;

    readonly SemaphoreSlim _readers;
    readonly SemaphoreSlim _upkeep = new(UpkeepConnections, UpkeepConnections);
    readonly TimeSpan _wait;
    readonly MeterListener _meter = new();
    readonly Lock _measuring = new();
    int _held;
    int _waiting;
    long _timeouts;
    long _open;

    PostgresPool(NpgsqlDataSource dataSource, string name, int maxSize, TimeSpan wait)
    {
        DataSource = dataSource;
        Name = name;
        MaxSize = maxSize;
        _wait = wait;
        _readers = new SemaphoreSlim(maxSize - Reserved, maxSize - Reserved);
        // Npgsql reports its pools' physical connections (idle and used) as an observable metric, named by the data source
        _meter.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Npgsql" && instrument.Name == "db.client.connection.count")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meter.SetMeasurementEventCallback<int>((_, value, tags, _) => Count(value, tags));
        _meter.SetMeasurementEventCallback<long>((_, value, tags, _) => Count(value, tags));
        _meter.Start();
    }

    /// <summary>The data source: only the writer and the listener open connections from it directly.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The data source's name (Npgsql's metrics' <c>db.client.connection.pool.name</c>).</summary>
    public string Name { get; }

    /// <summary>Maximum Pool Size: the most connections this instance ever holds.</summary>
    public int MaxSize { get; }

    /// <summary>
    /// Builds the data source from a parsed connection string: <c>Maximum Pool Size</c> when the string names it (at least
    /// <see cref="MinSize"/>), else <see cref="DefaultMaxSize"/>; <c>Application Name</c> csto-&lt;service&gt; when it names
    /// none, so that <c>pg_stat_activity</c> tells whose connections are whose.
    /// </summary>
    public static PostgresPool Create(NpgsqlConnectionStringBuilder builder, string connectionString, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.MaxPoolSize = MaxSizeOf(connectionString);

        if (builder.MaxPoolSize < MinSize)
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:EventLog: Maximum Pool Size {builder.MaxPoolSize} is too small: an instance needs at least {MinSize} " +
                $"(its writer, its listener, two for the relay's lease and checkpoints and health, and two for reads); default {DefaultMaxSize}");
        }

        if (builder.MinPoolSize > builder.MaxPoolSize)
        {
            throw new InvalidOperationException($"ConnectionStrings:EventLog: Minimum Pool Size {builder.MinPoolSize} is above Maximum Pool Size {builder.MaxPoolSize}");
        }

        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "csto-" + serviceName;
        }

        var name = $"{builder.ApplicationName}/{Interlocked.Increment(ref _instances)}";
        var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = name }.Build();
        return new PostgresPool(dataSource, name, builder.MaxPoolSize, TimeSpan.FromSeconds(builder.Timeout));
    }

    /// <summary>The budget a connection string gives an instance: its Maximum Pool Size, else <see cref="DefaultMaxSize"/>.</summary>
    public static int MaxSizeOf(string connectionString)
    {
        // Npgsql's builder answers its own default (100) for a keyword the string does not name: ask the raw keywords
        try
        {
            var raw = new DbConnectionStringBuilder { ConnectionString = connectionString };
            return new[] { "Maximum Pool Size", "Max Pool Size", "MaxPoolSize" }.Any(raw.ContainsKey)
                ? new NpgsqlConnectionStringBuilder(connectionString).MaxPoolSize
                : DefaultMaxSize;
        }
        catch (ArgumentException)
        {
            return DefaultMaxSize; // a malformed string stops the service when the store opens, with a message naming the setting
        }
    }

    /// <summary>
    /// How many messages the instance's consumer applies at once: half the share of reads, so that a backlog arriving all at
    /// once (a broker node back, a consumer reconnecting) leaves the API its connections.
    /// </summary>
    public static int ConsumerConcurrencyOf(string connectionString) => Math.Max(1, (MaxSizeOf(connectionString) - Reserved) / 2);

    /// <summary>
    /// A connection from the share of reads, or of upkeep, waiting at most the connection timeout for one; disposing the
    /// lease returns the connection and the share.
    /// </summary>
    public async Task<Lease> OpenAsync(bool upkeep, CancellationToken cancellationToken)
    {
        var gate = upkeep ? _upkeep : _readers;
        Interlocked.Increment(ref _waiting);
        bool entered;
        try
        {
            entered = await gate.WaitAsync(_wait, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        if (!entered)
        {
            Interlocked.Increment(ref _timeouts);
            throw new StoreUnavailableException(
                $"the PostgreSQL log is busy: all {(upkeep ? UpkeepConnections : MaxSize - Reserved)} connections for {(upkeep ? "upkeep" : "reads")} " +
                $"of this instance (Maximum Pool Size {MaxSize}) stayed in use for {_wait.TotalSeconds:0} s");
        }

        try
        {
            var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return new Lease(connection, () => gate.Release());
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    /// <summary>A connection of the reserved ones, held for as long as its owner runs (the writer's, the listener's).</summary>
    public async Task<Lease> OpenHeldAsync(CancellationToken cancellationToken)
    {
        var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _held);
        return new Lease(connection, () => Interlocked.Decrement(ref _held));
    }

    /// <summary>What GetLogInfo shows: the budget, what is lent out, what PostgreSQL holds open for it, who waits.</summary>
    public DatabasePoolInfo Info()
    {
        long open;
        lock (_measuring)
        {
            _open = 0;
            _meter.RecordObservableInstruments();
            open = _open;
        }

        return new DatabasePoolInfo
        {
            MaxSize = MaxSize,
            Reserved = Reserved,
            InUse = Volatile.Read(ref _held) + (MaxSize - Reserved - _readers.CurrentCount) + (UpkeepConnections - _upkeep.CurrentCount),
            Open = open,
            Waiting = Volatile.Read(ref _waiting),
            Timeouts = Interlocked.Read(ref _timeouts),
            ApplicationName = Name[..Name.LastIndexOf('/')],
        };
    }

    void Count(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "db.client.connection.pool.name" && tag.Value is string pool && pool == Name)
            {
                _open += value;
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _meter.Dispose();
        await DataSource.DisposeAsync().ConfigureAwait(false);
        _readers.Dispose();
        _upkeep.Dispose();
    }

    /// <summary>A pooled connection and how to give back its place in the budget.</summary>
    public sealed class Lease(NpgsqlConnection connection, Action giveBack) : IAsyncDisposable
    {
        int _returned;

        public NpgsqlConnection Connection => connection;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0)
            {
                try
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
                finally
                {
                    giveBack();
                }
            }
        }
    }
}
