using Csto.EventLog.Relay;
using Csto.Security;
using Csto.EventLog.V1;
using Csto.Testing;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>Health tells the truth, a busy store does not stop the service, and a SIGTERM ends follow streams.</summary>
public sealed class HealthAndShutdownTests(PrivateRabbitMqFixture broker) : IClassFixture<PrivateRabbitMqFixture>
{
    [Fact]
    public async Task While_another_process_holds_the_write_lock_health_is_not_serving_appends_are_unavailable_and_the_service_lives_on()
    {
        using var dir = new TempDir();
        await using var host = await Events.StartLogHostAsync("bodies", await broker.NewVirtualHostUrlAsync(), dir.Path);
        var store = host.Services.GetRequiredService<IEventStore>();
        var health = new Health.HealthClient(host.Anonymous);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);

        await using (var locker = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "bodies.db")};Default Timeout=60"))
        {
            await locker.OpenAsync();
            await using var tx = locker.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the write lock
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
            var append = store.AppendAsync(new AppendRequest("decision-x", ExpectedVersion.Any, [Events.Any(1)]));
            var refused = await Assert.ThrowsAsync<StoreUnavailableException>(() => append); // after the store's busy timeout
            Assert.Contains("locked", refused.Message, StringComparison.OrdinalIgnoreCase);
            var info = await new EventLogService.EventLogServiceClient(host.ChannelFor("reader")).GetLogInfoAsync(new GetLogInfoRequest());
            Assert.False(info.StoreWritable);
            tx.Rollback();
        }

        // the lock is gone: the same service writes again, and says so
        await store.AppendAsync(new AppendRequest("decision-x", ExpectedVersion.Any, [Events.Any(2)]));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.True((await new EventLogService.EventLogServiceClient(host.ChannelFor("reader")).GetLogInfoAsync(new GetLogInfoRequest())).StoreWritable);
    }

    [Fact]
    public async Task With_the_broker_stopped_the_log_info_says_it_is_unreachable_and_the_relay_unconfirmed()
    {
        using var dir = new TempDir();
        await using var host = await Events.StartLogHostAsync("membership", await broker.NewVirtualHostUrlAsync(), dir.Path);
        var store = host.Services.GetRequiredService<IEventStore>();
        var client = new EventLogService.EventLogServiceClient(host.ChannelFor("reader"));
        Assert.True((await client.GetLogInfoAsync(new GetLogInfoRequest())).Broker.Reachable);
        await broker.StopBrokerAsync();
        try
        {
            await store.AppendAsync(new AppendRequest("member-KAZ", ExpectedVersion.Any, [Events.Status("KAZ", Csto.Membership.V1.MemberStatus.Member, 1)]));
            var info = await client.GetLogInfoAsync(new GetLogInfoRequest());
            Assert.False(info.Broker.Reachable);
            Assert.NotEmpty(info.Broker.LastError);
            Assert.Equal(1, info.Relay.Lag);
        }
        finally
        {
            await broker.StartBrokerAsync();
        }

        await Eventually.UntilAsync(async () => (await client.GetLogInfoAsync(new GetLogInfoRequest())) is { Broker.Reachable: true, Relay.Lag: 0 }, TimeSpan.FromSeconds(90), "the broker back and the relay at the head");
    }

    [Fact]
    public async Task Stopping_the_service_ends_a_follow_stream_with_unavailable_and_where_to_resume()
    {
        using var dir = new TempDir();
        var host = await Events.StartLogHostAsync("bodies", await broker.NewVirtualHostUrlAsync(), dir.Path);
        var store = host.Services.GetRequiredService<IEventStore>();
        await store.AppendAsync(new AppendRequest("decision-x", ExpectedVersion.Any, [Events.Any(1)]));
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(host.Address); // its own: the host disposes the ones it made
        using var call = new EventLogService.EventLogServiceClient(channel.WithToken(TestTokens.For("reader"))).StreamEvents(new StreamEventsRequest { FromPosition = 1, Follow = true });
        while (await call.ResponseStream.MoveNext(CancellationToken.None) && call.ResponseStream.Current.ItemCase != StreamEventsResponse.ItemOneofCase.CaughtUp)
        {
        }

        var stopping = host.DisposeAsync().AsTask();
        var ended = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });
        Assert.Equal(StatusCode.Unavailable, ended.StatusCode);
        Assert.Contains("resume from position 2", ended.Status.Detail, StringComparison.Ordinal);
        await stopping.WaitAsync(TimeSpan.FromSeconds(30)); // a hang guard, not a measurement: the host's shutdown timeout is 4 s
    }
}
