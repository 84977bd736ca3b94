using Csto.Testing;
using Npgsql;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>
/// An instance's PostgreSQL connections are a budget (Maximum Pool Size): it never holds more, however many callers
/// read at once; a caller that finds its share taken is refused UNAVAILABLE after the connection timeout; the writer and
/// upkeep (lease, checkpoints, health) keep working while reads take every connection they may.
/// </summary>
public sealed class PostgresPoolTests
{
    static string ConnectionString(string application, string extra) =>
        new NpgsqlConnectionStringBuilder(TestPostgres.ConnectionString) { ApplicationName = application }.ConnectionString + extra;

    static async Task<long> ServerConnectionsAsync(string application)
    {
        await using var connection = new NpgsqlConnection(TestPostgres.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = @a", connection);
        cmd.Parameters.AddWithValue("a", application);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    static AppendRequest Append(string stream, long expected) => new(stream, expected, [Events.Status("KAZ", Csto.Membership.V1.MemberStatus.Member, expected + 1)]);

    [Fact]
    public async Task Two_hundred_concurrent_reads_never_open_more_connections_than_the_pool_allows()
    {
        var service = TestPostgres.NewServiceName("pool");
        var application = "csto-test-" + service;
        try
        {
            await using var store = PostgresEventStore.Open(ConnectionString(application, ";Maximum Pool Size=8"), service);
            store.Streams.Capacity = 0; // every read goes to the database
            for (var i = 0; i < 20; i++)
            {
                await store.AppendAsync(Append("s-" + i, 0));
            }

            long peak = 0;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peak = Math.Max(peak, await ServerConnectionsAsync(application));
                    peak = Math.Max(peak, store.Pool.Info().Open);
                }
            });
            var reads = Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
            {
                for (var round = 0; round < 5; round++)
                {
                    Assert.Single(await store.ReadStreamAsync("s-" + ((i + round) % 20)));
                }
            }));
            await Task.WhenAll(reads);
            await sampling.CancelAsync();
            await sampler;

            Assert.InRange(peak, 1, 8);
            var info = store.Pool.Info();
            Assert.Equal(8, info.MaxSize);
            Assert.Equal(application, info.ApplicationName);
            Assert.Equal(0, info.Timeouts);
            Assert.Equal(await ServerConnectionsAsync(application), info.Open);
        }
        finally
        {
            await TestPostgres.DropAsync(service);
        }
    }

    [Fact]
    public async Task A_read_that_finds_every_connection_of_its_share_taken_is_unavailable_after_the_timeout_and_writes_and_upkeep_go_on()
    {
        var service = TestPostgres.NewServiceName("pool");
        try
        {
            // 6 connections: the writer's, the listener's, two for upkeep, two for reads
            await using var store = PostgresEventStore.Open(ConnectionString("csto-test-" + service, ";Maximum Pool Size=6;Timeout=1"), service);
            store.Streams.Capacity = 0;
            await using var first = await store.Pool.OpenAsync(upkeep: false, CancellationToken.None);
            await using var second = await store.Pool.OpenAsync(upkeep: false, CancellationToken.None);

            var refused = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ReadStreamAsync("s-1"));
            Assert.Contains("Maximum Pool Size 6", refused.Message, StringComparison.Ordinal);
            Assert.Equal(1, store.Pool.Info().Timeouts);
            Assert.InRange(store.Pool.Info().InUse, 2, 4); // two reads lent out, and the writer's and the listener's once they opened

            // what keeps the instance alive still has its connections: an append, the relay's lease and checkpoint, health
            var appended = await store.AppendAsync(Append("s-1", 0));
            Assert.Equal(1, appended.FirstPosition);
            Assert.True(await store.TryAcquireLeaseAsync("relay", "me", TimeSpan.FromSeconds(10)));
            await store.SetCheckpointAsync("relay", 1);
            Assert.Equal(1, await store.GetCheckpointAsync("relay"));
            await store.ProbeWriteAsync(CancellationToken.None);

            await second.DisposeAsync();
            Assert.Single(await store.ReadStreamAsync("s-1"));
            Assert.InRange(store.Pool.Info().Open, 1, 6);
        }
        finally
        {
            await TestPostgres.DropAsync(service);
        }
    }

    [Fact]
    public async Task A_connection_string_without_a_pool_size_gets_the_suite_s_budget_and_names_its_connections()
    {
        var service = TestPostgres.NewServiceName("pool");
        try
        {
            var plain = new NpgsqlConnectionStringBuilder(TestPostgres.ConnectionString) { ApplicationName = null };
            plain.Remove("Maximum Pool Size");
            await using var store = PostgresEventStore.Open(plain.ConnectionString, service);
            var info = store.Pool.Info();
            Assert.Equal(PostgresPool.DefaultMaxSize, info.MaxSize);
            Assert.Equal("csto-" + service, info.ApplicationName);
            Assert.True(await ServerConnectionsAsync("csto-" + service) >= 1);
        }
        finally
        {
            await TestPostgres.DropAsync(service);
        }
    }

    [Theory]
    [InlineData(";Maximum Pool Size=5", "Maximum Pool Size 5 is too small")]
    [InlineData(";Maximum Pool Size=10;Minimum Pool Size=11", "Minimum Pool Size 11 is above Maximum Pool Size 10")]
    public void A_pool_the_instance_cannot_live_in_stops_it_at_start_naming_the_setting(string extra, string named)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => PostgresEventStore.Open(TestPostgres.ConnectionString + extra, TestPostgres.NewServiceName("pool")));
        Assert.Contains("ConnectionStrings:EventLog", ex.Message, StringComparison.Ordinal);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }
}
