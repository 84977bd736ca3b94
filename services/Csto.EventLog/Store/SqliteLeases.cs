namespace Csto.EventLog;

/// <summary>
/// Leases on SQLite are trivial: one file has one service instance (the file is the instance's own), so its relay
/// always holds the lease. Nothing is written: a restarted process relays at once instead of waiting out a ttl.
/// </summary>
public sealed partial class SqliteEventStore
{
    public Task<bool> TryAcquireLeaseAsync(string name, string holder, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        Task.FromResult(true);

    public Task ReleaseLeaseAsync(string name, string holder, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
