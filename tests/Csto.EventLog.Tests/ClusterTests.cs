using System.Net;
using System.Text.Json;
using Csto.Common.V1;
using Csto.EventLog.Inbox;
using Csto.EventLog.Relay;
using Csto.EventLog.Roster;
using Csto.EventLog.V1;
using Csto.EventLog.Wire;
using Csto.Membership.V1;
using Csto.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Csto.EventLog.Tests;

/// <summary>
/// The exchange between services on a three-node RabbitMQ cluster with quorum queues (<c>EventLog:QueueType=quorum</c>,
/// <c>EventLog:RabbitMqUrl</c> naming the three nodes): the queues are replicated, and losing a node in the middle of a burst
/// loses nothing and applies nothing twice.
/// </summary>
public sealed class ClusterTests(RabbitMqClusterFixture cluster, ITestOutputHelper output) : IClassFixture<RabbitMqClusterFixture>
{
    static readonly Dictionary<string, string?> Quorum = new() { ["EventLog:QueueType"] = "quorum" };

    static NewEvent Change(string state, int version) =>
        NewEvent.From(
            new MemberStatusChanged { State = state, NewStatus = version % 2 == 1 ? MemberStatus.Member : MemberStatus.Frozen, StreamVersion = version, EffectiveDate = Date.From(new(2000 + version, 1, 1)) },
            new EventMetadata { CorrelationId = "c", Actor = new Actor { Subject = "test", Role = "system" } });

    /// <summary>count changes: 200 states, each with versions 1, 2, ... (one status change a version).</summary>
    static async Task AppendChangesAsync(IEventStore store, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var state = StateCodes.Codes.ElementAt(i % 200);
            await store.AppendAsync(new AppendRequest("member-" + state, ExpectedVersion.Any, [Change(state, 1 + (i / 200))]));
        }
    }

    static async Task<long> RosterCountAsync(IEventStore store) =>
        (await store.ReadAllAsync(1, long.MaxValue, new ReadFilter(RosterComponent.StreamPrefix), 1_000_000)).Records.Count;

    /// <summary>The queue as the management API sees it, once it exists.</summary>
    async Task<JsonElement> QueueWhenDeclaredAsync(string urls, string queue)
    {
        JsonElement found = default;
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                found = await cluster.QueueAsync(urls, queue);
                return true;
            }
            catch (InvalidOperationException)
            {
                return false; // 404 until someone declares it
            }
        }, TimeSpan.FromSeconds(60), queue + " declared");
        return found;
    }

    [Fact]
    public async Task Every_node_refuses_guest_on_amqp_and_the_management_api_and_listens_on_the_loopback_only()
    {
        for (var i = 0; i < cluster.AdminUrls.Count; i++)
        {
            var refused = await BrokerProbes.AmqpLoginAsync(new UriBuilder(cluster.AdminUrls[i]) { UserName = "guest", Password = "guest", Path = "/" }.Uri);
            Assert.True(BrokerProbes.IsAuthenticationFailure(refused), $"node {i + 1}: guest/guest on AMQP: expected an authentication failure, got {refused?.ToString() ?? "a connection"}");
            Assert.Null(await BrokerProbes.AmqpLoginAsync(cluster.AdminUrls[i]));
            Assert.Equal(HttpStatusCode.Unauthorized, (await BrokerProbes.WhoAmIAsync(cluster.ManagementUrls[i], "guest", "guest")).Status);
            var admin = cluster.AdminUrls[i];
            var (status, body) = await BrokerProbes.WhoAmIAsync(cluster.ManagementUrls[i], BrokerProbes.User(admin), BrokerProbes.Password(admin));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("administrator", BrokerProbes.Tags(body));
        }

        var listeners = BrokerProbes.Listeners();
        if (listeners is null)
        {
            output.WriteLine("SKIPPED the listener check: 'ss' (iproute2) is not installed");
            return;
        }

        output.WriteLine(cluster.Kind);
        BrokerProbes.AssertLoopbackOnly(listeners, cluster.ListenerPorts, output);
    }

    [Fact]
    public async Task With_quorum_configured_the_producers_the_consumers_and_the_error_queues_are_quorum_queues_on_the_three_nodes()
    {
        using var dir = new TempDir();
        var urls = await cluster.NewVirtualHostUrlsAsync();

        // the producer alone declares its consumers' queues before it publishes
        await using var membership = await Events.StartLogHostAsync("membership", urls, dir.Path, settings: Quorum);
        foreach (var queue in new[] { Topology.QueueOf("bodies"), Topology.QueueOf("operations") })
        {
            var declared = await QueueWhenDeclaredAsync(urls, queue);
            Assert.Equal("quorum", declared.GetProperty("type").GetString());
            Assert.True(declared.GetProperty("durable").GetBoolean());
            Assert.Equal(3, declared.GetProperty("members").GetArrayLength());
        }

        // the consumer's own declaration (MassTransit's receive endpoint) is the same: it starts on the existing queue
        await using var operations = await Events.StartLogHostAsync("operations", urls, dir.Path, b => b.Services.AddRoster(), Quorum);
        Assert.Equal("quorum", (await cluster.QueueAsync(urls, Topology.QueueOf("operations"))).GetProperty("type").GetString());

        // the error queue, declared when the first message can never be applied
        var errors = operations.Services.GetRequiredService<ErrorQueue>();
        await errors.MoveAsync(new byte[] { 1 }, [], "application/x-protobuf", "someone", new PoisonMessageException(PoisonMessageException.Undecodable, "test"), CancellationToken.None);
        var errorQueue = await QueueWhenDeclaredAsync(urls, Topology.ErrorQueueOf("operations"));
        Assert.Equal("quorum", errorQueue.GetProperty("type").GetString());
        Assert.Equal(1, (await errors.InfoAsync(CancellationToken.None)).Depth);
        output.WriteLine($"broker: {cluster.Kind}");
    }

    [Fact]
    public async Task A_broker_node_killed_during_a_burst_loses_nothing_applies_nothing_twice_and_rejoins_when_restarted()
    {
        const int Total = 2000;
        using var dir = new TempDir();
        var urls = await cluster.NewVirtualHostUrlsAsync();
        // consumer first, so that its queue is bound before the producer publishes
        await using var operations = await Events.StartLogHostAsync("operations", urls, dir.Path, b => b.Services.AddRoster(), Quorum);
        await using var membership = await Events.StartLogHostAsync("membership", urls, dir.Path, settings: Quorum);
        var source = membership.Services.GetRequiredService<IEventStore>();
        var relay = membership.Services.GetRequiredService<EventRelay>();
        var target = operations.Services.GetRequiredService<IEventStore>();

        var burst = AppendChangesAsync(source, Total);
        await Eventually.UntilAsync(async () => await RosterCountAsync(target) >= 200, TimeSpan.FromSeconds(120), "the first 200 changes applied by operations");

        // the node that leads the consumer's quorum queue: its loss forces a new leader while messages are in flight
        var leader = (await cluster.QueueAsync(urls, Topology.QueueOf("operations"))).GetProperty("leader").GetString()!;
        var killed = cluster.NodeNumber(leader);
        await cluster.KillNodeAsync(killed);
        var appliedAtKill = await RosterCountAsync(target);
        await burst;

        // what the relay ran into on the way, for the message if it never gets there
        var errors = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await Eventually.UntilAsync(() =>
            {
                if (relay.LastError is { Length: > 0 } error && errors.Count < 10)
                {
                    errors.Add(error);
                }

                return Task.FromResult(relay.Checkpoint == source.HeadPosition);
            }, TimeSpan.FromMinutes(5), "the relay confirmed up to the head");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}: relay at {relay.Checkpoint} of {source.HeadPosition}, {relay.PublishedCount} published; its errors: {string.Join(" | ", errors)}", ex);
        }

        await Eventually.UntilAsync(async () => await RosterCountAsync(target) == Total, TimeSpan.FromMinutes(5), $"all {Total} changes applied by operations");
        await Task.Delay(TimeSpan.FromSeconds(2)); // redeliveries of what was in flight, if any, come now and must change nothing
        Assert.Equal(Total, await RosterCountAsync(target));
        Assert.Equal(Total, (await target.GetConsumersAsync()).Single().ProcessedCount);
        Assert.Equal(Total, source.HeadPosition);

        // the node comes back, rejoins, and holds its replica of the queue again
        await cluster.StartAsync();
        await Eventually.UntilAsync(async () => (await cluster.RunningNodesAsync()).Count == 3, TimeSpan.FromMinutes(3), "three nodes running");
        await Eventually.UntilAsync(async () =>
        {
            var queue = await cluster.QueueAsync(urls, Topology.QueueOf("operations"));
            return queue.TryGetProperty("online", out var online) && online.EnumerateArray().Any(n => n.GetString() == leader);
        }, TimeSpan.FromMinutes(3), $"{leader} online again as a member of {Topology.QueueOf("operations")}");
        output.WriteLine($"broker: {cluster.Kind}; killed node {killed} ({leader}) after {appliedAtKill} of {Total} applied; all {Total} applied once");
    }
}
