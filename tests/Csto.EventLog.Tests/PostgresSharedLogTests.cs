using System.Collections.Concurrent;
using Csto.EventLog;
using Csto.EventLog.Relay;
using Csto.Testing;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>Several instances of a service on one PostgreSQL log: readers never skip, one relay holds the lease.</summary>
public sealed class PostgresSharedLogTests : IAsyncLifetime
{
    readonly string _service = TestPostgres.NewServiceName("shared");
    readonly List<PostgresEventStore> _stores = [];

    PostgresEventStore NewInstance()
    {
        var store = PostgresEventStore.Open(TestPostgres.ConnectionString, _service);
        _stores.Add(store);
        return store;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        await TestPostgres.DropAsync(_service);
    }

    [Fact]
    public async Task A_follower_sees_every_event_of_three_instances_once_in_position_order_without_gaps()
    {
        var writers = new[] { NewInstance(), NewInstance(), NewInstance() };
        var follower = NewInstance();
        const int appenders = 64;
        const int perAppender = 40;
        const int total = appenders * perAppender;
        var acknowledged = new ConcurrentDictionary<string, long>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        // the follower reads the way the relay and the projections do: from its position to the head it knows, then waits
        var seen = new List<long>();
        var seenIds = new List<string>();
        var reading = Task.Run(async () =>
        {
            long position = 0;
            while (position < total)
            {
                var head = follower.HeadPosition;
                if (position >= head)
                {
                    await follower.WaitForAppendAsync(head, stop.Token);
                    continue;
                }

                var slice = await follower.ReadAllAsync(position + 1, head, ReadFilter.All, 500, stop.Token);
                foreach (var record in slice.Records)
                {
                    seen.Add(record.Position);
                    seenIds.Add(record.EventId);
                }

                position = slice.ScannedTo;
            }
        });

        await Task.WhenAll(Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
        {
            var store = writers[a % writers.Length];
            for (var i = 0; i < perAppender; i++)
            {
                var e = Events.Any(i);
                var stream = a % 2 == 0 ? $"shared-{a % 4}" : $"own-{a}";
                var result = await store.AppendAsync(new AppendRequest(stream, ExpectedVersion.Any, [e]));
                acknowledged[e.EventId] = result.FirstPosition;
            }
        })));
        await reading;

        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), seen);
        Assert.Equal(total, seenIds.Distinct().Count());
        Assert.All(seenIds.Select((id, i) => (id, i)), x => Assert.Equal(x.i + 1, acknowledged[x.id]));
        var all = await follower.ReadAllAsync(1, long.MaxValue, ReadFilter.All, 100_000);
        foreach (var stream in all.Records.GroupBy(r => r.StreamId))
        {
            Assert.Equal(Enumerable.Range(1, stream.Count()).Select(i => (long)i), stream.Select(r => r.StreamVersion));
        }
    }

    [Fact]
    public async Task Conflicting_appends_from_two_instances_fail_alone()
    {
        var a = NewInstance();
        var b = NewInstance();
        await a.AppendAsync(new AppendRequest("member-KAZ", ExpectedVersion.NoStream, [Events.Any(0)]));

        var tasks = new[] { a, b, a, b }.Select((s, i) => s.AppendAsync(new AppendRequest("member-KAZ", 1, [Events.Any(i + 1)]))).ToList();
        await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        _ = Assert.Single(tasks, t => t.IsCompletedSuccessfully);
        Assert.All(tasks.Where(t => !t.IsCompletedSuccessfully), t => Assert.IsType<WrongExpectedVersionException>(t.Exception!.InnerException));
        Assert.Equal(2, (await b.ReadStreamAsync("member-KAZ")).Count);
    }

    [Fact]
    public async Task Another_instance_takes_the_relay_lease_over_within_five_seconds_when_its_holder_stops_renewing()
    {
        var first = new RelayLease(NewInstance(), "instance-a");
        var second = new RelayLease(NewInstance(), "instance-b");
        await first.AcquireAsync(CancellationToken.None);
        using var holderAlive = new CancellationTokenSource();
        var keeping = first.KeepAsync(holderAlive.Token);

        // while the holder renews, the other never gets the lease
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(6)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.AcquireAsync(wait.Token));
        }

        Assert.True(first.Held);
        Assert.False(second.Held);

        // the holder dies: it stops renewing and never releases
        await holderAlive.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => keeping);
        var died = System.Diagnostics.Stopwatch.StartNew();
        await second.AcquireAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(died.Elapsed < TimeSpan.FromSeconds(5), $"took over after {died.Elapsed}");
        Assert.True(second.Held);

        // the old holder, back, finds the lease taken and stops
        Assert.False(await _stores[0].TryAcquireLeaseAsync(RelayLease.Name, "instance-a", RelayLease.Ttl));
        await second.ReleaseAsync();
        Assert.True(await _stores[0].TryAcquireLeaseAsync(RelayLease.Name, "instance-a", RelayLease.Ttl));
    }
}
