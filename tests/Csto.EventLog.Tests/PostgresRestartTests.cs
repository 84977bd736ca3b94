using System.Collections.Concurrent;
using Csto.EventLog;
using Csto.Testing;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>PostgreSQL stopped and started (deploy/postgres.sh) under a burst of appends, on a server of the test's own.</summary>
public sealed class PostgresRestartTests
{
    [Fact]
    public async Task Appends_fail_as_unavailable_while_the_server_is_down_succeed_after_and_nothing_acknowledged_is_lost()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        await using var store = PostgresEventStore.Open(cluster.ConnectionString, "restart");
        var acknowledged = new ConcurrentBag<string>();
        var unavailable = 0;
        var unexpected = new ConcurrentBag<Exception>();
        var afterRestart = 0;
        var restarted = false;
        using var stop = new CancellationTokenSource();

        var appenders = Enumerable.Range(0, 8).Select(a => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var e = Events.Any(i);
                try
                {
                    await store.AppendAsync(new AppendRequest($"burst-{a}", ExpectedVersion.Any, [e]));
                    acknowledged.Add(e.EventId);
                    if (Volatile.Read(ref restarted))
                    {
                        Interlocked.Increment(ref afterRestart);
                    }
                }
                catch (StoreUnavailableException)
                {
                    Interlocked.Increment(ref unavailable);
                    await Task.Delay(50);
                }
#pragma warning disable CA1031 // collected and asserted below
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    unexpected.Add(ex);
                }
            }
        })).ToList();

        await Task.Delay(1000);
        await cluster.StopServerAsync();
        await Task.Delay(1500);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ProbeWriteAsync(CancellationToken.None));
        Assert.NotNull(store.WriteError);
        await cluster.StartServerAsync();
        Volatile.Write(ref restarted, true);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref afterRestart) < 200 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await Task.WhenAll(appenders);

        Assert.Empty(unexpected);
        Assert.True(unavailable > 0, "no append failed while the server was down");
        Assert.True(afterRestart >= 200, $"only {afterRestart} appends after the restart");
        await store.ProbeWriteAsync(CancellationToken.None);
        Assert.Null(store.WriteError);
        var log = await store.ReadAllAsync(1, long.MaxValue, ReadFilter.All, 1_000_000);
        var ids = log.Records.Select(r => r.EventId).ToHashSet();
        Assert.All(acknowledged, id => Assert.Contains(id, ids));
        Assert.Equal(Enumerable.Range(1, log.Records.Count).Select(i => (long)i), log.Records.Select(r => r.Position));
    }
}
