using Csto.EventLog.Hosting;
using Csto.EventLog.Relay;
using Csto.EventLog.Wire;
using Csto.Testing;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>The broker settings of a service: the queue type and a cluster's URLs, read and refused at start.</summary>
[Collection("broker")]
public sealed class QueueTypeTests(RabbitMqFixture broker)
{
    [Fact]
    public async Task A_queue_type_other_than_classic_or_quorum_refuses_to_start_naming_the_setting()
    {
        using var dir = new TempDir();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Events.StartLogHostAsync("membership", "amqp://u:p@localhost:1/v", dir.Path, settings: new Dictionary<string, string?> { ["EventLog:QueueType"] = "mirrored" }));
        Assert.Contains("EventLog:QueueType", refused.Message, StringComparison.Ordinal);
        Assert.Contains("mirrored", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cluster_is_several_urls_of_one_user_and_virtual_host()
    {
        var broker = BrokerAddresses.Parse("amqp://csto-bodies:p%40ss@localhost:5772/csto, amqp://csto-bodies:p%40ss@localhost:5773/csto,amqp://csto-bodies:p%40ss@other:5774/csto");
        Assert.Equal([("localhost", 5772), ("localhost", 5773), ("other", 5774)], broker.Nodes);
        Assert.Equal(("csto-bodies", "p@ss", "csto"), (broker.User, broker.Password, broker.VirtualHost));

        var mixed = Assert.Throws<InvalidOperationException>(() => BrokerAddresses.Parse("amqp://a:p@h:1/v,amqp://b:p@h:2/v"));
        Assert.Contains("EventLog:RabbitMqUrl", mixed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(":p@", mixed.Message, StringComparison.Ordinal); // no password in an error
        Assert.Contains("names no user", Assert.Throws<InvalidOperationException>(() => BrokerAddresses.Parse("amqp://h:1/v")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_classic_queue_where_quorum_is_configured_is_reported_as_such_and_nothing_is_published()
    {
        using var dir = new TempDir();
        var url = await broker.NewVirtualHostUrlAsync();
        await using (var admin = await new ConnectionFactory { Uri = new Uri(url) }.CreateConnectionAsync())
        await using (var channel = await admin.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(Topology.QueueOf("operations"), durable: true, exclusive: false, autoDelete: false); // classic, as before the setting
        }

        await using var membership = await Events.StartLogHostAsync("membership", url, dir.Path, settings: new Dictionary<string, string?> { ["EventLog:QueueType"] = "quorum" });
        var relay = membership.Services.GetRequiredService<EventRelay>();
        await Eventually.UntilAsync(() => Task.FromResult(relay.LastError.Contains("cannot be changed", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the relay reporting the queue of another type");
        Assert.Contains("csto.operations", relay.LastError, StringComparison.Ordinal);
        Assert.Contains("EventLog:QueueType=quorum", relay.LastError, StringComparison.Ordinal);
        Assert.False(relay.Running);
    }
}
