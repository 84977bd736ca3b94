using Csto.EventLog.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Csto.EventLog.Projections;

/// <summary>
/// Feeds the log to the projections, each with its own checkpoint written in the same transaction as
/// its rows; several instances sharing a PostgreSQL database feed the same tables, and the store's check-and-advance
/// of the checkpoint makes each range applied once (an instance that finds it moved resumes from there). A rebuild replays the log into fresh tables, hashes them and the live ones at the same
/// position, and swaps the fresh tables in with a rename while queries go on reading.
/// </summary>
public sealed partial class ProjectionRunner(IEventStore store, IReadModelStore readModel, IEnumerable<IProjection> projections, ILogger<ProjectionRunner> logger) : BackgroundService
{
    const int BatchSize = 2000;
    const string RebuildSuffix = "__rebuild";
    readonly IProjection[] _projections = [.. projections];
    readonly Dictionary<string, SemaphoreSlim> _locks = projections.ToDictionary(p => p.Name, _ => new SemaphoreSlim(1, 1), StringComparer.Ordinal);
    readonly Dictionary<string, long> _checkpoints = new(StringComparer.Ordinal);
    readonly object _gate = new();
    TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    bool _initialized;
    const int SharedSlices = 4;
    readonly Queue<((long From, long Target) Key, Task<ReadSlice> Read)> _slices = new();

    public IReadOnlyList<IProjection> Projections => _projections;

    /// <summary>
    /// The checkpoint of a projection names the shape of its tables: a release that changes a table gets a fresh
    /// checkpoint (0), and the projection drops its old tables and builds the new ones from the log.
    /// </summary>
    public static string CheckpointName(IProjection projection)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var shape = string.Join("\n", projection.Tables.Select(t => $"{t.Name}({t.Columns})[{string.Join(';', t.Indexes)}]"));
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(shape)))[..12];
        return $"projection:{projection.Name}:{hash}";
    }

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
            // new, or its tables changed shape in this release (checkpoint 0): start from empty tables of the current shape
            var checkpoint = await readModel.PrepareTablesAsync(projection.Tables, CheckpointName(projection), cancellationToken).ConfigureAwait(false);
            SetCheckpoint(projection.Name, checkpoint);
        }

        _initialized = true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await InitializeAsync(stoppingToken).ConfigureAwait(false);
                while (!stoppingToken.IsCancellationRequested)
                {
                    var head = store.HeadPosition;
                    // all projections at once: on SQLite their applies share one group commit (one fsync, not one each),
                    // on PostgreSQL they run on their own connections; each keeps its own checkpoint and lock
                    await Task.WhenAll(_projections.Select(p => CatchUpAsync(p, head, stoppingToken))).ConfigureAwait(false);
                    ForgetSlices(); // all caught up: the slices read for it are not needed again (a batch of 2,000 records each)

                    LastError = "";
                    delay = TimeSpan.FromMilliseconds(200);
                    await store.WaitForAppendAsync(head, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // a busy or locked store must not stop the service: report, wait, catch up again
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LastError = ex.Message;
                LogFailed(ex, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
            }
        }
    }

    /// <summary>Why the last catch-up failed; empty when it succeeded.</summary>
    public string LastError { get; private set; } = "";

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

    /// <summary>Waits until the projection <paramref name="name"/> alone has applied the log up to <paramref name="position"/>.</summary>
    public async Task WaitForPositionAsync(string name, long position, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (_checkpoints.GetValueOrDefault(name) >= position)
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

            checkpoint = await ApplyRangeAsync(projection, checkpoint, target, "", CheckpointName(projection), cancellationToken).ConfigureAwait(false);
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
            var slice = await ReadSliceAsync(checkpoint + 1, target, cancellationToken).ConfigureAwait(false);
            var reached = slice.ScannedTo;
            var stored = await readModel.ApplyAsync(suffix, writer => projection.ApplyBatch(slice.Records, writer),
                checkpointName is null ? null : new ProjectionCheckpoint(checkpointName, checkpoint, reached), cancellationToken).ConfigureAwait(false);
            // another instance sharing the database applied this range (or more): go on from where it got
            checkpoint = checkpointName is null ? reached : stored;
            if (checkpointName is not null)
            {
                SetCheckpoint(projection.Name, checkpoint); // committed with its rows: a later failure must not apply this slice again
            }
        }

        return checkpoint;
    }

    /// <summary>
    /// A slice of the log, read once for every projection that asks for the same range: projections catching up together
    /// (at start, after a burst) or rebuilt together read the log once, not once each. The last few slices are kept;
    /// records are never changed by a projection, so they can be shared.
    /// </summary>
    Task<ReadSlice> ReadSliceAsync(long from, long target, CancellationToken cancellationToken) =>
        SharedSlice(from, target, ahead: false).WaitAsync(cancellationToken);

    /// <summary>
    /// Starts reading the slice after <paramref name="scannedTo"/> on the thread pool while the rebuild applies the one it
    /// has (the writer), so that it reads and writes at once instead of in turn (1 M events, workstation GC: membership 4.5 → 3.4–3.8 s,
    /// bodies 11.0 → 10.1 s, operations 2.45 → 2.03 s); the next <see cref="ReadSliceAsync"/> of that range finds it among
    /// the shared slices. Not for the catch-up: three services starting on 1 M events took 25.7–27.4 s with it against
    /// 17.5–24.9 s without (five runs), so it did not help there (its projections move through the log each at its own
    /// pace, and slices read ahead can push out of the few shared ones those a slower projection still needs).
    /// </summary>
    void ReadAhead(long scannedTo, long target)
    {
        if (scannedTo < target)
        {
            _ = SharedSlice(scannedTo + 1, target, ahead: true);
        }
    }

    Task<ReadSlice> SharedSlice(long from, long target, bool ahead)
    {
        TaskCompletionSource<ReadSlice> mine;
        lock (_slices)
        {
            foreach (var (key, task) in _slices)
            {
                if (key == (from, target) && !task.IsFaulted && !task.IsCanceled)
                {
                    return task;
                }
            }

            mine = new TaskCompletionSource<ReadSlice>(TaskCreationOptions.RunContinuationsAsynchronously);
            _slices.Enqueue(((from, target), mine.Task));
            while (_slices.Count > SharedSlices)
            {
                _slices.Dequeue();
            }
        }

        // a store's read may run to its end before it returns a task (SQLite's does): read ahead on another thread
        _ = ahead ? Task.Run(() => ReadIntoAsync(mine, from, target)) : ReadIntoAsync(mine, from, target);
        return mine.Task;
    }

    void ForgetSlices()
    {
        lock (_slices)
        {
            _slices.Clear();
        }
    }

    // not under the caller's token: another projection may be waiting for this read after this caller gave up
    async Task ReadIntoAsync(TaskCompletionSource<ReadSlice> slice, long from, long target)
    {
        try
        {
            slice.TrySetResult(await store.ReadAllAsync(from, target, ReadFilter.All, BatchSize, CancellationToken.None).ConfigureAwait(false));
        }
#pragma warning disable CA1031 // handed to every reader of this slice
        catch (Exception ex)
#pragma warning restore CA1031
        {
            slice.TrySetException(ex);
        }
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

        var chosen = _projections.Where(p => names.Count == 0 || names.Contains(p.Name)).ToList();
        var gates = chosen.Select(p => _locks[p.Name]).ToList(); // always in the order of registration: no deadlock
        var held = 0;
        try
        {
            foreach (var gate in gates)
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                held++;
            }

            return await RebuildLockedAsync(chosen, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var gate in gates.Take(held))
            {
                gate.Release();
            }
        }
    }

    /// <summary>
    /// Brings the live tables to the head and hashes them, replays the log once into fresh tables of every chosen
    /// projection (one read of each slice, one transaction for all of them), hashes those, and swaps them in.
    /// </summary>
    async Task<IReadOnlyList<ProjectionRebuild>> RebuildLockedAsync(List<IProjection> chosen, CancellationToken cancellationToken)
    {
        var head = store.HeadPosition;
        var liveHashes = new List<string>();
        foreach (var projection in chosen)
        {
            long live;
            lock (_gate)
            {
                live = _checkpoints.GetValueOrDefault(projection.Name);
            }

            live = await ApplyRangeAsync(projection, live, head, "", CheckpointName(projection), cancellationToken).ConfigureAwait(false);
            SetCheckpoint(projection.Name, live);
            liveHashes.Add(await readModel.HashTablesAsync(projection.Tables, "", cancellationToken).ConfigureAwait(false));
            await readModel.DropTablesAsync(projection.Tables, RebuildSuffix, cancellationToken).ConfigureAwait(false);
            // the replay fills the fresh tables through their keys only; their query indexes are built once it is done
            await readModel.CreateTablesAsync(projection.Tables, RebuildSuffix, cancellationToken, indexes: false).ConfigureAwait(false);
        }

        for (var position = 0L; position < head;)
        {
            var slice = await ReadSliceAsync(position + 1, head, cancellationToken).ConfigureAwait(false);
            ReadAhead(slice.ScannedTo, head);
            await readModel.ApplyAsync(RebuildSuffix, writer =>
            {
                foreach (var projection in chosen)
                {
                    projection.ApplyBatch(slice.Records, writer);
                }
            }, null, cancellationToken).ConfigureAwait(false);
            position = slice.ScannedTo;
        }

        ForgetSlices();
        foreach (var projection in chosen)
        {
            await readModel.CreateIndexesAsync(projection.Tables, RebuildSuffix, cancellationToken).ConfigureAwait(false);
        }

        var results = new List<ProjectionRebuild>();
        for (var i = 0; i < chosen.Count; i++)
        {
            var projection = chosen[i];
            var liveHash = liveHashes[i];
            var rebuiltHash = await readModel.HashTablesAsync(projection.Tables, RebuildSuffix, cancellationToken).ConfigureAwait(false);
            await readModel.SwapTablesAsync(projection.Tables, RebuildSuffix, CheckpointName(projection), head, cancellationToken).ConfigureAwait(false);
            SetCheckpoint(projection.Name, head);
            var match = string.Equals(liveHash, rebuiltHash, StringComparison.Ordinal);
            LogRebuilt(store.ServiceName, projection.Name, head, liveHash, rebuiltHash, match);
            results.Add(new ProjectionRebuild
            {
                Name = projection.Name,
                Position = head,
                LiveHash = liveHash,
                RebuiltHash = rebuiltHash,
                HashesMatch = match,
                EventsApplied = head,
            });
        }

        return results;
    }

    /// <summary>SHA-256 over every row of every table of the projection, in a canonical order.</summary>
    public Task<string> HashAsync(IProjection projection, CancellationToken cancellationToken = default) =>
        readModel.HashTablesAsync(projection.Tables, "", cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "projection {Projection} of {Service} rebuilt to position {Position}: live hash {LiveHash}, rebuilt hash {RebuiltHash}, match {HashesMatch}")]
    partial void LogRebuilt(string service, string projection, long position, string liveHash, string rebuiltHash, bool hashesMatch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "projections: catching up failed, retrying in {Seconds} s")]
    partial void LogFailed(Exception exception, double seconds);
}
