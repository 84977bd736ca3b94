using Csto.EventLog.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Csto.EventLog.Relay;

/// <summary>
/// The log is the outbox: follows the log from a persisted checkpoint, publishes each record (many
/// confirms in flight, sent in position order), and moves the checkpoint only over the prefix the broker
/// confirmed. After a broker outage or a restart it resumes from the checkpoint; a record may then be
/// published twice, never lost (consumers de-duplicate by event id).
/// </summary>
public sealed partial class EventRelay(IEventStore store, EventPublisher publisher, TopologyDeclarer topology, ILogger<EventRelay> logger) : BackgroundService
{
    public const string CheckpointName = "relay";
    const int BatchSize = 1000;
    static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(30);

    volatile string _lastError = "";
    volatile bool _running;
    long _checkpoint;

    long _lastConfirmedTicks = DateTimeOffset.UtcNow.UtcTicks;

    /// <summary>Healthy: the loop runs, and the broker confirmed a publish within the last 30 s or there is nothing to send.</summary>
    public bool Running => _running && (Checkpoint >= store.HeadPosition || DateTimeOffset.UtcNow.UtcTicks - Interlocked.Read(ref _lastConfirmedTicks) < TimeSpan.FromSeconds(30).Ticks);

    public string LastError => _lastError;

    public long Checkpoint => Interlocked.Read(ref _checkpoint);

    long _published;

    /// <summary>Records this relay had confirmed by the broker since it started (republished ranges not counted).</summary>
    public long PublishedCount => Interlocked.Read(ref _published);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Interlocked.Exchange(ref _checkpoint, await store.GetCheckpointAsync(CheckpointName, stoppingToken).ConfigureAwait(false));
                await topology.EnsureAsync(stoppingToken).ConfigureAwait(false);
                _running = true;
                while (!stoppingToken.IsCancellationRequested)
                {
                    var head = store.HeadPosition;
                    var checkpoint = Checkpoint;
                    if (checkpoint >= head)
                    {
                        await store.WaitForAppendAsync(head, stoppingToken).ConfigureAwait(false);
                        continue;
                    }

                    // the consumers' queues exist before anything is published (again before every batch: one may have been deleted)
                    await topology.EnsureAsync(stoppingToken).ConfigureAwait(false);
                    var slice = await store.ReadAllAsync(checkpoint + 1, head, ReadFilter.All, BatchSize, stoppingToken).ConfigureAwait(false);
                    var confirmed = await PublishInOrderAsync(slice.Records, stoppingToken).ConfigureAwait(false);
                    await store.SetCheckpointAsync(CheckpointName, confirmed, stoppingToken).ConfigureAwait(false);
                    Interlocked.Exchange(ref _checkpoint, confirmed);
                    Interlocked.Exchange(ref _lastConfirmedTicks, DateTimeOffset.UtcNow.UtcTicks);
                    _lastError = "";
                    delay = TimeSpan.FromMilliseconds(200);
                }
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
                LogRetry(ex, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }

        _running = false;
    }

    /// <summary>
    /// Sends every record without waiting (pipelined confirms), then awaits the confirms in position order.
    /// Returns the last position of the confirmed prefix; throws when a confirm failed, after saving the prefix.
    /// </summary>
    async Task<long> PublishInOrderAsync(IReadOnlyList<EventRecord> records, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(ConfirmTimeout);
        var sends = new Task[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            sends[i] = publisher.PublishAsync(records[i], timeout.Token);
        }

        var confirmed = Checkpoint;
        for (var i = 0; i < sends.Length; i++)
        {
            try
            {
                await sends[i].ConfigureAwait(false);
            }
            catch
            {
                if (confirmed > Checkpoint)
                {
                    await store.SetCheckpointAsync(CheckpointName, confirmed, CancellationToken.None).ConfigureAwait(false);
                    Interlocked.Exchange(ref _checkpoint, confirmed);
                }

                await Task.WhenAll(sends).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                throw;
            }

            confirmed = records[i].Position;
            Interlocked.Increment(ref _published);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay: publishing failed, retrying from the checkpoint in {Seconds} s")]
    partial void LogRetry(Exception exception, double seconds);
}
