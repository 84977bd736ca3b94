using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Csto.EventLog.V1;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Csto.EventLog.Projections;

/// <summary>
/// Feeds the log to the projections, each with its own checkpoint written in the same transaction as
/// its rows. A rebuild replays the log into fresh tables, hashes them and the live ones at the same
/// position, and swaps the fresh tables in with a rename while queries go on reading.
/// </summary>
public sealed partial class ProjectionRunner(SqliteEventStore store, IEnumerable<IProjection> projections, ILogger<ProjectionRunner> logger) : BackgroundService
{
    const int BatchSize = 2000;
    const string RebuildSuffix = "__rebuild";
    readonly IProjection[] _projections = [.. projections];
    readonly Dictionary<string, SemaphoreSlim> _locks = projections.ToDictionary(p => p.Name, _ => new SemaphoreSlim(1, 1), StringComparer.Ordinal);
    readonly Dictionary<string, long> _checkpoints = new(StringComparer.Ordinal);
    readonly object _gate = new();
    TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    bool _initialized;

    public IReadOnlyList<IProjection> Projections => _projections;

    public static string CheckpointName(string projection) => "projection:" + projection;

    public IReadOnlyList<ProjectionInfo> Info()
    {
        lock (_gate)
        {
            return [.. _projections.Select(p => new ProjectionInfo { Name = p.Name, Checkpoint = _checkpoints.GetValueOrDefault(p.Name) })];
        }
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        foreach (var projection in _projections)
        {
            await store.ExecuteWriteAsync((c, t) => { CreateTables(c, t, projection, "", "" ); return true; }, cancellationToken).ConfigureAwait(false);
            var checkpoint = await store.GetCheckpointAsync(CheckpointName(projection.Name), cancellationToken).ConfigureAwait(false);
            SetCheckpoint(projection.Name, checkpoint);
        }

        _initialized = true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await InitializeAsync(stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                var head = store.HeadPosition;
                foreach (var projection in _projections)
                {
                    await CatchUpAsync(projection, head, stoppingToken).ConfigureAwait(false);
                }

                await store.WaitForAppendAsync(head, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogFailed(ex);
            throw;
        }
    }

    /// <summary>Waits until every projection has applied the log up to <paramref name="position"/> (read your writes).</summary>
    public async Task WaitForPositionAsync(long position, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (_projections.All(p => _checkpoints.GetValueOrDefault(p.Name) >= position))
                {
                    return;
                }

                signal = _advanced.Task;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    async Task CatchUpAsync(IProjection projection, long target, CancellationToken cancellationToken)
    {
        var gate = _locks[projection.Name];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            long checkpoint;
            lock (_gate)
            {
                checkpoint = _checkpoints.GetValueOrDefault(projection.Name);
            }

            checkpoint = await ApplyRangeAsync(projection, checkpoint, target, "", CheckpointName(projection.Name), cancellationToken).ConfigureAwait(false);
            SetCheckpoint(projection.Name, checkpoint);
        }
        finally
        {
            gate.Release();
        }
    }

    async Task<long> ApplyRangeAsync(IProjection projection, long checkpoint, long target, string suffix, string? checkpointName, CancellationToken cancellationToken)
    {
        while (checkpoint < target)
        {
            var slice = await store.ReadAllAsync(checkpoint + 1, target, ReadFilter.All, BatchSize, cancellationToken).ConfigureAwait(false);
            var reached = slice.ScannedTo;
            await store.ExecuteWriteAsync((c, t) =>
            {
                var writer = new ProjectionWriter(c, t, suffix);
                foreach (var record in slice.Records)
                {
                    projection.Apply(record, writer);
                }

                if (checkpointName is not null)
                {
                    SqliteEventStore.WriteCheckpoint(c, t, checkpointName, reached);
                }

                return true;
            }, cancellationToken).ConfigureAwait(false);
            checkpoint = reached;
        }

        return checkpoint;
    }

    void SetCheckpoint(string name, long checkpoint)
    {
        lock (_gate)
        {
            _checkpoints[name] = checkpoint;
            var old = _advanced;
            _advanced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            old.TrySetResult();
        }
    }

    /// <summary>Rebuilds the named projections (all when empty) and swaps the fresh tables in.</summary>
    public async Task<IReadOnlyList<ProjectionRebuild>> RebuildAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var unknown = names.Where(n => !_locks.ContainsKey(n)).ToList();
        if (unknown.Count > 0)
        {
            throw new KeyNotFoundException($"unknown projection '{unknown[0]}'; known: {string.Join(", ", _projections.Select(p => p.Name))}");
        }

        var results = new List<ProjectionRebuild>();
        foreach (var projection in _projections.Where(p => names.Count == 0 || names.Contains(p.Name)))
        {
            results.Add(await RebuildOneAsync(projection, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    async Task<ProjectionRebuild> RebuildOneAsync(IProjection projection, CancellationToken cancellationToken)
    {
        var gate = _locks[projection.Name];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var head = store.HeadPosition;
            long live;
            lock (_gate)
            {
                live = _checkpoints.GetValueOrDefault(projection.Name);
            }

            live = await ApplyRangeAsync(projection, live, head, "", CheckpointName(projection.Name), cancellationToken).ConfigureAwait(false);
            SetCheckpoint(projection.Name, live);
            var liveHash = Hash(projection, "");

            var generation = Guid.NewGuid().ToString("N")[..8];
            await store.ExecuteWriteAsync((c, t) =>
            {
                DropTables(c, t, projection, RebuildSuffix);
                CreateTables(c, t, projection, RebuildSuffix, generation);
                return true;
            }, cancellationToken).ConfigureAwait(false);
            await ApplyRangeAsync(projection, 0, head, RebuildSuffix, null, cancellationToken).ConfigureAwait(false);
            var rebuiltHash = Hash(projection, RebuildSuffix);

            // The swap: one transaction drops the live tables and renames the fresh ones; readers on other
            // connections keep their snapshot until they finish, then see the new tables.
            await store.ExecuteWriteAsync((c, t) =>
            {
                DropTables(c, t, projection, "");
                foreach (var table in projection.Tables)
                {
                    Run(c, t, $"ALTER TABLE \"{table.Name}{RebuildSuffix}\" RENAME TO \"{table.Name}\"");
                }

                SqliteEventStore.WriteCheckpoint(c, t, CheckpointName(projection.Name), head);
                return true;
            }, cancellationToken).ConfigureAwait(false);
            SetCheckpoint(projection.Name, head);

            return new ProjectionRebuild
            {
                Name = projection.Name,
                Position = head,
                LiveHash = liveHash,
                RebuiltHash = rebuiltHash,
                HashesMatch = string.Equals(liveHash, rebuiltHash, StringComparison.Ordinal),
                EventsApplied = head,
            };
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>SHA-256 over every row of every table of the projection, in a canonical order.</summary>
    public string Hash(IProjection projection, string suffix = "")
    {
        ArgumentNullException.ThrowIfNull(projection);
        using var connection = store.OpenReadConnection();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var table in projection.Tables.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var physical = table.Name + suffix;
            int columns;
            using (var info = connection.CreateCommand())
            {
                info.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{physical}')";
                columns = Convert.ToInt32(info.ExecuteScalar(), CultureInfo.InvariantCulture);
            }

            sha.AppendData(Encoding.UTF8.GetBytes($"table:{table.Name}:{columns}\n"));
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"SELECT * FROM \"{physical}\" ORDER BY {string.Join(", ", Enumerable.Range(1, columns))}";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                for (var i = 0; i < columns; i++)
                {
                    var value = reader.GetValue(i);
                    var text = value switch
                    {
                        DBNull => "N",
                        byte[] bytes => "B" + Convert.ToHexString(bytes),
                        string s => "S" + s.Length.ToString(CultureInfo.InvariantCulture) + ":" + s,
                        double d => "R" + d.ToString("R", CultureInfo.InvariantCulture),
                        _ => "I" + Convert.ToString(value, CultureInfo.InvariantCulture),
                    };
                    sha.AppendData(Encoding.UTF8.GetBytes(text));
                    sha.AppendData("|"u8);
                }

                sha.AppendData("\n"u8);
            }
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    static void CreateTables(SqliteConnection connection, SqliteTransaction transaction, IProjection projection, string suffix, string generation)
    {
        foreach (var table in projection.Tables)
        {
            var physical = table.Name + suffix;
            using (var exists = connection.CreateCommand())
            {
                exists.Transaction = transaction;
                exists.CommandText = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $n";
                exists.Parameters.AddWithValue("$n", physical);
                if (exists.ExecuteScalar() is not null)
                {
                    continue;
                }
            }

            Run(connection, transaction, $"CREATE TABLE \"{physical}\" ({table.Columns})");
            for (var i = 0; i < table.Indexes.Length; i++)
            {
                // Index names follow the generation so that a rebuilt table renamed to the live name keeps unique index names.
                Run(connection, transaction, $"CREATE INDEX \"ix_{table.Name}_{i}{(generation.Length > 0 ? "_" + generation : "")}\" ON \"{physical}\" ({table.Indexes[i]})");
            }
        }
    }

    static void DropTables(SqliteConnection connection, SqliteTransaction transaction, IProjection projection, string suffix)
    {
        foreach (var table in projection.Tables)
        {
            Run(connection, transaction, $"DROP TABLE IF EXISTS \"{table.Name}{suffix}\"");
        }
    }

    static void Run(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "projection runner failed")]
    partial void LogFailed(Exception exception);
}
