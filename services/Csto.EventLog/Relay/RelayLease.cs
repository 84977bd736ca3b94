namespace Csto.EventLog.Relay;

/// <summary>
/// Exactly one relay per service: the holder of the lease "relay" in the log's database publishes, the other instances
/// wait. The holder renews every second for <see cref="Ttl"/>; when it dies (killed, hung, cut off from the database) it
/// stops renewing and another instance takes over within the ttl, resuming from the persisted checkpoint (records the
/// old holder published but did not checkpoint go out again; consumers' inboxes drop the duplicates).
/// </summary>
public sealed class RelayLease(IEventStore store, string? holder = null)
{
    public const string Name = "relay";
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(4);
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(1);

    /// <summary>This instance's name in the lease table: machine, process and a random part (two hosts in one process differ).</summary>
    public string Holder { get; } = holder ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    volatile bool _held;

    /// <summary>Whether this instance held the lease at its last renewal (GetLogInfo reports it).</summary>
    public bool Held => _held;

    /// <summary>Tries until the lease is this instance's (every <see cref="RenewEvery"/>), running <paramref name="whileWaiting"/> between tries.</summary>
    public async Task AcquireAsync(CancellationToken cancellationToken, Func<Task>? whileWaiting = null)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await store.TryAcquireLeaseAsync(Name, Holder, Ttl, cancellationToken).ConfigureAwait(false))
                {
                    _held = true;
                    return;
                }
            }
            catch (StoreUnavailableException)
            {
                // the database is away: nobody can take the lease over meanwhile; try again
            }

            _held = false;
            if (whileWaiting is not null)
            {
                await whileWaiting().ConfigureAwait(false);
            }

            await Task.Delay(RenewEvery, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Renews until the lease is lost, then returns (the caller stops publishing). A renewal that fails (database away)
    /// counts as lost once the last successful one is older than the ttl minus a second: by then another instance may hold it.
    /// </summary>
    public async Task KeepAsync(CancellationToken cancellationToken)
    {
        var renewed = DateTimeOffset.UtcNow;
        while (true)
        {
            await Task.Delay(RenewEvery, cancellationToken).ConfigureAwait(false);
            try
            {
                if (!await store.TryAcquireLeaseAsync(Name, Holder, Ttl, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }

                renewed = DateTimeOffset.UtcNow;
            }
            catch (StoreUnavailableException) when (DateTimeOffset.UtcNow - renewed < Ttl - TimeSpan.FromSeconds(1))
            {
            }
            catch (StoreUnavailableException)
            {
                break;
            }
        }

        _held = false;
    }

    /// <summary>Gives the lease up on shutdown so another instance takes over at once instead of after the ttl.</summary>
    public async Task ReleaseAsync()
    {
        if (!_held)
        {
            return;
        }

        _held = false;
        try
        {
            await store.ReleaseLeaseAsync(Name, Holder, CancellationToken.None).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            // it expires by itself
        }
    }
}
