using System.Diagnostics;
using Csto.EventLog.Hosting;
using Csto.EventLog.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Csto.EventLog.Relay;

/// <summary>
/// The log is the outbox: follows the log from a persisted checkpoint, publishes each record (many
/// confirms in flight, sent in position order), and moves the checkpoint only over the prefix the broker
/// confirmed. After a broker outage or a restart it resumes from the checkpoint; a record may then be
/// published twice, never lost (consumers de-duplicate by event id). Only the holder of the relay lease publishes
/// (<see cref="RelayLease"/>): several instances of a service share one PostgreSQL log, one relays.
/// </summary>
public sealed partial class EventRelay(IEventStore store, EventPublisher publisher, TopologyDeclarer topology, ILogger<EventRelay> logger) : BackgroundService
{
    public const string CheckpointName = "relay";
    const int BatchSize = 1000;
    static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(30);

    readonly RelayLease _lease = new(store);
    volatile string _lastError = "";
    volatile bool _running;
    volatile bool _standby;
    long _checkpoint;
    long _confirmed; // the confirmed prefix the relay goes on from; the checkpoint follows it once its write has landed
    Task _pendingCheckpoint = Task.CompletedTask;

    long _lastConfirmedTicks = DateTimeOffset.UtcNow.UtcTicks;

    /// <summary>Healthy: the loop runs, and the broker confirmed a publish within the last 30 s or there is nothing to send.</summary>
    public bool Running => (_standby && !_lease.Held) || _running && (Checkpoint >= store.HeadPosition || DateTimeOffset.UtcNow.UtcTicks - Interlocked.Read(ref _lastConfirmedTicks) < TimeSpan.FromSeconds(30).Ticks);

    public string LastError => _lastError;

    /// <summary>Whether this instance holds the relay lease and so is the one that publishes.</summary>
    public bool HoldsLease => _lease.Held;

    /// <summary>The persisted checkpoint: every event up to it was confirmed by the broker, and the write saying so has landed.</summary>
    public long Checkpoint => Interlocked.Read(ref _checkpoint);

    long _published;

    /// <summary>Records this relay had confirmed by the broker since it started (republished ranges not counted).</summary>
    public long PublishedCount => Interlocked.Read(ref _published);

    long _oldestUnconfirmedTicks;

    /// <summary>Age of the oldest record not yet confirmed (by its recorded_at), 0 at the head or while another instance relays.</summary>
    public double LagSeconds =>
        _running && Checkpoint < store.HeadPosition && Interlocked.Read(ref _oldestUnconfirmedTicks) is var t and > 0
            ? Math.Max(0, (DateTimeOffset.UtcNow.UtcTicks - t) / (double)TimeSpan.TicksPerSecond)
            : 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // one relay per service: instances sharing a PostgreSQL log wait here while another holds the lease
                await _lease.AcquireAsync(stoppingToken, StandByAsync).ConfigureAwait(false);
                _standby = false;
                LogLeaseTaken(store.ServiceName, _lease.Holder, Checkpoint);
                using var held = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var keeper = _lease.KeepAsync(held.Token).ContinueWith(_ => held.Cancel(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                try
                {
                    await RelayWhileHeldAsync(held.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (held.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
                {
                    _running = false;
                    LogLeaseLost(store.ServiceName, _lease.Holder);
                }
                finally
                {
                    await held.CancelAsync().ConfigureAwait(false);
                    await keeper.ConfigureAwait(false);
                }

                delay = TimeSpan.FromMilliseconds(200);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // the relay outlives any broker failure; it reports it and retries
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _running = false;
                _lastError = ex.Message;
                LogRetry(ex, store.ServiceName, Checkpoint, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }

        _running = false;
        await _lease.ReleaseAsync().ConfigureAwait(false);
        LogStopped(store.ServiceName, Checkpoint, store.HeadPosition);
    }

    /// <summary>While another instance relays: healthy, and the checkpoint shown is the holder's (GetLogInfo's lag stays true).</summary>
    async Task StandByAsync()
    {
        _running = false;
        _standby = true;
        try
        {
            Interlocked.Exchange(ref _checkpoint, await store.GetCheckpointAsync(CheckpointName).ConfigureAwait(false));
        }
        catch (StoreUnavailableException)
        {
            _standby = false;
        }
    }

    /// <summary>Publishes from the persisted checkpoint until <paramref name="held"/> is cancelled (lease lost, shutdown) or a failure.</summary>
    async Task RelayWhileHeldAsync(CancellationToken held)
    {
        _pendingCheckpoint = Task.CompletedTask; // a write that failed in the last run is behind us: the stored checkpoint is read again
        var stored = await store.GetCheckpointAsync(CheckpointName, held).ConfigureAwait(false);
        Interlocked.Exchange(ref _checkpoint, stored);
        Interlocked.Exchange(ref _confirmed, stored);
        await topology.EnsureAsync(held).ConfigureAwait(false);
        _running = true;
        // the checkpoint of a confirmed batch is written while the next batch is read and published: one commit (an
        // fsync) less on every event's way to the broker. One write is in flight at most, in order; a crash before it
        // lands publishes that batch again, which consumers drop (the inbox), as after any crash between confirm and
        // checkpoint. It is awaited before the lease is given up, so a later holder starts from it.
        try
        {
            await RelayBatchesAsync(held).ConfigureAwait(false);
        }
        finally
        {
            await CheckpointWrittenAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The checkpoint write in flight has landed, or failed (then the persisted checkpoint is older: a batch is published again).</summary>
    async Task WriteCheckpointAsync(long confirmed)
    {
        await store.SetCheckpointAsync(CheckpointName, confirmed, CancellationToken.None).ConfigureAwait(false);
        Interlocked.Exchange(ref _checkpoint, confirmed);
    }

    Task CheckpointWrittenAsync() => _pendingCheckpoint.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

    async Task RelayBatchesAsync(CancellationToken held)
    {
        while (true)
        {
            held.ThrowIfCancellationRequested();
            var head = store.HeadPosition;
            var checkpoint = Interlocked.Read(ref _confirmed);
            if (checkpoint >= head)
            {
                await store.WaitForAppendAsync(head, held).ConfigureAwait(false);
                continue;
            }

            // the consumers' queues exist before anything is published (again before every batch: one may have been deleted)
            await topology.EnsureAsync(held).ConfigureAwait(false);
            var slice = await store.ReadAllAsync(checkpoint + 1, head, ReadFilter.All, BatchSize, held).ConfigureAwait(false);
            if (slice.Records.Count > 0 && slice.Records[0].RecordedAt is { } oldest)
            {
                Interlocked.Exchange(ref _oldestUnconfirmedTicks, oldest.ToDateTimeOffset().UtcTicks);
            }

            var confirmed = await PublishInOrderAsync(slice.Records, held).ConfigureAwait(false);
            await _pendingCheckpoint.ConfigureAwait(false); // the previous batch's checkpoint (its failure ends the loop, as it did when awaited at once)
            _pendingCheckpoint = WriteCheckpointAsync(confirmed);
            Interlocked.Exchange(ref _confirmed, confirmed);
            Interlocked.Exchange(ref _lastConfirmedTicks, DateTimeOffset.UtcNow.UtcTicks);
            Interlocked.Exchange(ref _oldestUnconfirmedTicks, 0); // until the next slice is read, what is unconfirmed is milliseconds old
            _lastError = "";
        }
    }

    /// <summary>
    /// Sends every record without waiting (pipelined confirms), then awaits the confirms in position order.
    /// Returns the last position of the confirmed prefix; throws when a confirm failed, after saving the prefix.
    /// </summary>
    async Task<long> PublishInOrderAsync(IReadOnlyList<EventRecord> records, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(ConfirmTimeout);
        // sent one after another (in position order), each send returning its confirm; a failed send ends the batch;
        // one span per traced event, a child of the context stored with it, open until its confirm
        var sends = new List<Task>(records.Count);
        var spans = EventLogTelemetry.Source.HasListeners() ? new Activity?[records.Count] : null;
        var outer = Activity.Current;
        var sentAt = Stopwatch.GetTimestamp();
        try
        {
            for (var i = 0; i < records.Count; i++)
            {
                if (spans is not null)
                {
                    spans[i] = EventLogTelemetry.StartPublish(store.ServiceName, records[i]);
                }

                sends.Add(await publisher.SendAsync(records[i], timeout.Token).ConfigureAwait(false));
                Activity.Current = outer; // the next event's send is not a child of this one's
            }
        }
#pragma warning disable CA1031 // awaited below in order, after the confirmed prefix
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Activity.Current = outer;
            sends.Add(Task.FromException(ex));
        }

        var confirmed = Interlocked.Read(ref _confirmed);
        for (var i = 0; i < sends.Count; i++)
        {
            try
            {
                // a send whose connection died (a broker node killed) may never see its confirm, whatever token it was
                // given: stop waiting at the timeout, and publish again from the confirmed prefix (the inbox drops copies)
                await sends[i].WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                if (spans is not null)
                {
                    for (var j = i; j < spans.Length; j++) // a span not started (the batch ended at a failed send) is null
                    {
                        EventLogTelemetry.Fail(spans[j], ex);
                        spans[j]?.Dispose();
                    }
                }

                if (confirmed > Interlocked.Read(ref _confirmed))
                {
                    await CheckpointWrittenAsync().ConfigureAwait(false); // in order: the previous batch's first
                    await WriteCheckpointAsync(confirmed).ConfigureAwait(false);
                    Interlocked.Exchange(ref _confirmed, confirmed);
                }

                // let the other sends settle for a moment, never for ever
                await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                if (!stoppingToken.IsCancellationRequested)
                {
                    // publish again on a new channel: after a cluster node died, a channel that still looks open can nack
                    // every publish to a quorum queue (RabbitMQ 3.10, seen in ClusterTests) or never see a confirm again;
                    // a new channel (to any node that answers) starts a new session with the queues
                    await publisher.AbandonChannelAsync(ex.Message).ConfigureAwait(false);
                }

                if (ex is OperationCanceledException && timeout.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"no publisher confirm within {ConfirmTimeout.TotalSeconds:0} s for position {records[i].Position}; publishing again from {confirmed}", ex);
                }

                throw;
            }

            confirmed = records[i].Position;
            Interlocked.Increment(ref _published);
            EventLogTelemetry.Confirmed(store.ServiceName, sentAt);
            spans?[i]?.Dispose();
        }

        return confirmed;
    }

    /// <summary>Operator method: publishes a range again without touching the checkpoint.</summary>
    public async Task<long> RepublishAsync(long fromPosition, long toPosition, CancellationToken cancellationToken)
    {
        long count = 0;
        var position = Math.Max(1, fromPosition);
        while (position <= toPosition)
        {
            var slice = await store.ReadAllAsync(position, toPosition, ReadFilter.All, BatchSize, cancellationToken).ConfigureAwait(false);
            if (slice.Records.Count == 0)
            {
                break;
            }

            await Task.WhenAll(slice.Records.Select(r => publisher.PublishAsync(r, cancellationToken))).ConfigureAwait(false);
            count += slice.Records.Count;
            position = slice.ScannedTo + 1;
        }

        return count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "relay of {Service}: lease taken by {Holder}, publishing from checkpoint {Checkpoint}")]
    partial void LogLeaseTaken(string service, string holder, long checkpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay of {Service}: lease of {Holder} lost, stopped publishing")]
    partial void LogLeaseLost(string service, string holder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay of {Service}: publishing failed at checkpoint {Checkpoint}, retrying from it in {Seconds} s")]
    partial void LogRetry(Exception exception, string service, long checkpoint, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "relay of {Service}: stopped at checkpoint {Checkpoint} of head {Head}")]
    partial void LogStopped(string service, long checkpoint, long head);
}
