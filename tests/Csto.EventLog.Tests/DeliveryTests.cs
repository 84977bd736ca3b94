using System.Text;
using Csto.Common.V1;
using Csto.EventLog.Inbox;
using Csto.EventLog.Relay;
using Csto.EventLog.Roster;
using Csto.EventLog.V1;
using Csto.EventLog.Wire;
using Csto.Membership.V1;
using Csto.Testing;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>What the exchange between services promises, tried by breaking it on purpose against a real broker.</summary>
[Collection("broker")]
public sealed class DeliveryTests(RabbitMqFixture broker)
{
    static NewEvent Change(string state, int version) =>
        NewEvent.From(
            new MemberStatusChanged { State = state, NewStatus = version % 2 == 1 ? MemberStatus.Member : MemberStatus.Frozen, StreamVersion = version, EffectiveDate = Date.From(new(2000 + version, 1, 1)) },
            new EventMetadata { CorrelationId = "c", Actor = new Actor { Subject = "test", Role = "system" } });

    static async Task AppendChangesAsync(IEventStore store, int count, int firstVersion = 1)
    {
        for (var i = 0; i < count; i++)
        {
            var state = StateCodes.Codes.ElementAt(i % 200);
            var version = firstVersion + (i / 200);
            await store.AppendAsync(new AppendRequest("member-" + state, ExpectedVersion.Any, [Change(state, version)]));
        }
    }

    static async Task<long> RosterCountAsync(IEventStore store) =>
        (await store.ReadAllAsync(1, long.MaxValue, new ReadFilter(RosterComponent.StreamPrefix), 1_000_000)).Records.Count;

    [Fact]
    public async Task Every_event_reaches_a_consumer_whose_queue_was_deleted_while_it_was_down_with_no_operator_action()
    {
        using var dir = new TempDir();
        var url = await broker.NewVirtualHostUrlAsync();
        await using var membership = await Events.StartLogHostAsync("membership", url, dir.Path);
        var source = membership.Services.GetRequiredService<IEventStore>();
        var relay = membership.Services.GetRequiredService<EventRelay>();
        await AppendChangesAsync(source, 10);
        await Eventually.UntilAsync(() => Task.FromResult(relay.Checkpoint == source.HeadPosition), TimeSpan.FromSeconds(30), "the first events relayed");

        // operations is down and its queue is gone (a broker reset, an operator, a fresh broker)
        await using (var admin = await (new ConnectionFactory { Uri = new Uri(url) }).CreateConnectionAsync())
        await using (var channel = await admin.CreateChannelAsync())
        {
            await channel.QueueDeleteAsync(Topology.QueueOf("operations"));
        }

        await AppendChangesAsync(source, 200, firstVersion: 2);
        await Eventually.UntilAsync(() => Task.FromResult(relay.Checkpoint == source.HeadPosition), TimeSpan.FromSeconds(60), "the relay at the head");

        await using var operations = await Events.StartLogHostAsync("operations", url, dir.Path, b => b.Services.AddRoster());
        var target = operations.Services.GetRequiredService<IEventStore>();
        await Eventually.UntilAsync(async () => await RosterCountAsync(target) == 200, TimeSpan.FromSeconds(60), "the 200 changes published after the queue was deleted");
        // the 10 published before the deletion went with the queue (deleted with it); every later one arrived, once
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(200, await RosterCountAsync(target));
        Assert.Equal(200, (await target.GetConsumersAsync()).Single().ProcessedCount);
    }

    [Fact]
    public async Task Poison_messages_go_to_the_error_queue_with_their_reason_apply_nothing_and_can_be_listed_and_purged()
    {
        using var dir = new TempDir();
        var url = await broker.NewVirtualHostUrlAsync();
        await using var bodies = await Events.StartLogHostAsync("bodies", url, dir.Path, b => b.Services.AddRoster());
        var store = bodies.Services.GetRequiredService<IEventStore>();
        var head = store.HeadPosition;
        var good = Change("KAZ", 1);
        var exchange = WireHeaders.ExchangeFor(MemberStatusChanged.Descriptor.FullName);
        await using (var raw = await RawPublisher.StartAsync(url))
        {
            await raw.PublishAsync(exchange, Headers(good, "membership"), []);                                             // empty body
            await raw.PublishAsync(exchange, Headers(good, "membership"), [0x0F, 0xFF, 0xFF, 0xFF]);                       // garbage
            await raw.PublishAsync(exchange, Headers(good, "membership", type: "csto.membership.v1.NoSuchEvent"), good.Data.ToByteArray()); // wrong type
            await raw.PublishAsync(exchange, new Dictionary<string, string> { [WireHeaders.EventId] = good.EventId }, good.Data.ToByteArray()); // headers missing
        }

        var client = new EventLogService.EventLogServiceClient(bodies.ChannelFor("operator"));
        await Eventually.UntilAsync(async () => (await client.GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue.Depth == 4, TimeSpan.FromSeconds(60), "4 messages in csto.bodies_error");

        var listed = await client.ListErrorsAsync(new ListErrorsRequest());
        Assert.Equal(["EMPTY_BODY", "NOT_A_CSTO_EVENT", "UNDECODABLE", "UNKNOWN_TYPE"], listed.Messages.Select(m => m.Reason).Order());
        Assert.All(listed.Messages, m => Assert.NotNull(m.FailedAt));
        Assert.Equal(head, store.HeadPosition);
        var info = await client.GetLogInfoAsync(new GetLogInfoRequest());
        Assert.True(info.Broker.Reachable);
        Assert.Equal("csto.bodies_error", info.ErrorQueue.Queue);
        Assert.Equal(4, info.ErrorQueue.Depth); // listing left them in place

        Assert.Equal(4, (await client.PurgeErrorsAsync(new PurgeErrorsRequest { Queue = "csto.bodies_error" })).PurgedCount);
        Assert.Equal(0, (await client.GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue.Depth);
    }

    [Fact]
    public async Task A_message_published_by_another_broker_user_is_never_applied_and_a_redrive_after_trusting_it_applies_it()
    {
        using var dir = new TempDir();
        var url = await broker.NewVirtualHostUrlAsync();
        var intruder = await broker.NewUserUrlAsync(url, "intruder-" + Guid.NewGuid().ToString("N")[..6]);
        var bodies = await Events.StartLogHostAsync("bodies", url, dir.Path, b => b.Services.AddRoster());
        var forged = Change("KAZ", 1);
        await using (var raw = await RawPublisher.StartAsync(intruder))
        {
            await raw.PublishAsync(WireHeaders.ExchangeFor(MemberStatusChanged.Descriptor.FullName), Headers(forged, "membership"), forged.Data.ToByteArray(), userId: new Uri(intruder).UserInfo.Split(':')[0]);
        }

        var client = new EventLogService.EventLogServiceClient(bodies.ChannelFor("operator"));
        await Eventually.UntilAsync(async () => (await client.GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue.Depth == 1, TimeSpan.FromSeconds(60), "the forged message in the error queue");
        Assert.Equal("ORIGIN_NOT_TRUSTED", (await client.ListErrorsAsync(new ListErrorsRequest())).Messages.Single().Reason);
        Assert.Equal(0, await RosterCountAsync(bodies.Services.GetRequiredService<IEventStore>()));
        // why it failed is the error queue's content: an operator reads it in GetLogInfo, a reader sees only the depth
        Assert.StartsWith("ORIGIN_NOT_TRUSTED", (await client.GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue.OldestReason, StringComparison.Ordinal);
        var asReader = (await new EventLogService.EventLogServiceClient(bodies.ChannelFor("reader")).GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue;
        Assert.Equal((1, ""), (asReader.Depth, asReader.OldestReason));

        // re-driven as it is, it fails the same check again: nothing applied, back in the error queue
        Assert.Equal(1, (await client.RedriveErrorsAsync(new RedriveErrorsRequest())).RedrivenCount);
        await Eventually.UntilAsync(async () => (await client.GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue.Depth == 1, TimeSpan.FromSeconds(60), "the forged message back in the error queue");
        Assert.Equal(0, await RosterCountAsync(bodies.Services.GetRequiredService<IEventStore>()));
        Assert.Equal(new Uri(intruder).UserInfo.Split(':')[0], (await client.ListErrorsAsync(new ListErrorsRequest())).Messages.Single().UserId);

        // an operator decides the user is membership's after all (configuration), restarts, re-drives: applied once
        await bodies.DisposeAsync();
        bodies = await Events.StartLogHostAsync("bodies", url, dir.Path, b => b.Services.AddRoster(),
            new Dictionary<string, string?> { ["EventLog:Publishers:membership"] = new Uri(intruder).UserInfo.Split(':')[0] });
        client = new EventLogService.EventLogServiceClient(bodies.ChannelFor("operator"));
        Assert.Equal(1, (await client.RedriveErrorsAsync(new RedriveErrorsRequest())).RedrivenCount);
        await Eventually.UntilAsync(async () => await RosterCountAsync(bodies.Services.GetRequiredService<IEventStore>()) == 1, TimeSpan.FromSeconds(60), "the re-driven message applied");
        Assert.Equal(0, (await client.GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue.Depth);
        await bodies.DisposeAsync();
    }

    [Fact]
    public async Task An_event_that_claims_a_source_which_does_not_own_its_type_is_parked_whoever_publishes_it()
    {
        using var dir = new TempDir();
        // one broker user for the whole suite: the user check alone would let every claim through
        var url = await broker.NewVirtualHostUrlAsync();
        await using var bodies = await Events.StartLogHostAsync("bodies", url, dir.Path, b => b.Services.AddRoster());
        var store = bodies.Services.GetRequiredService<IEventStore>();
        var head = store.HeadPosition;
        var change = Change("ZWE", 1);
        await using (var raw = await RawPublisher.StartAsync(url))
        {
            // operations and bodies claim a MemberStatusChanged (ZWE a member), only membership records it
            await raw.PublishAsync(WireHeaders.ExchangeFor(MemberStatusChanged.Descriptor.FullName), Headers(change, "operations"), change.Data.ToByteArray());
            await raw.PublishAsync(WireHeaders.ExchangeFor(MemberStatusChanged.Descriptor.FullName), Headers(change, "bodies"), change.Data.ToByteArray());
            // straight into the consumer's own exchange, with a source outside the suite
            await raw.PublishAsync(Topology.QueueOf("bodies"), Headers(change, "elsewhere"), change.Data.ToByteArray());
        }

        var client = new EventLogService.EventLogServiceClient(bodies.ChannelFor("operator"));
        await Eventually.UntilAsync(async () => (await client.GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue.Depth == 3, TimeSpan.FromSeconds(60), "the three claims in csto.bodies_error");
        var parked = (await client.ListErrorsAsync(new ListErrorsRequest())).Messages;
        Assert.All(parked, m => Assert.Equal("ORIGIN_NOT_TRUSTED", m.Reason));
        Assert.Contains(parked, m => m.Exception.Contains("only 'membership' records csto.membership.v1.MemberStatusChanged", StringComparison.Ordinal));
        Assert.Equal(0, await RosterCountAsync(store));
        Assert.Equal(head, store.HeadPosition);

        // the same event claiming its owner is applied
        await using (var raw = await RawPublisher.StartAsync(url))
        {
            await raw.PublishAsync(WireHeaders.ExchangeFor(MemberStatusChanged.Descriptor.FullName), Headers(change, "membership"), change.Data.ToByteArray());
        }

        await Eventually.UntilAsync(async () => await RosterCountAsync(store) == 1, TimeSpan.FromSeconds(60), "the owner's event applied");
    }

    /// <summary>A body of each type the suite's services consume (the origin check parks before the body is read).</summary>
    static byte[] SampleOf(string type) =>
        type == MemberStatusChanged.Descriptor.FullName ? Change("ZWE", 1).Data.ToByteArray()
        : type == Csto.Bodies.V1.DecisionAdopted.Descriptor.FullName ? new Csto.Bodies.V1.DecisionAdopted { Decision = "decisions/forged", BodyId = "csc", Title = "forged" }.ToByteArray()
        : type == Csto.Operations.V1.OperationSummaryPublished.Descriptor.FullName ? new Csto.Operations.V1.OperationSummaryPublished { Operation = "operations/forged", DisplayName = "forged" }.ToByteArray()
        : throw new InvalidOperationException($"no sample of {type}: add one (Topology.Consumers names a new type)");

    [Theory]
    [InlineData("bodies")]
    [InlineData("operations")]
    public async Task Every_type_a_service_consumes_is_parked_when_another_services_broker_user_publishes_it(string consumer)
    {
        using var dir = new TempDir();
        var url = await broker.NewVirtualHostUrlAsync();
        // each service its own broker user, as deploy/rabbitmq.sh makes them
        var services = new[] { "membership", "bodies", "operations" };
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            users[service] = await broker.NewUserUrlAsync(url, $"{service}-{Guid.NewGuid().ToString("N")[..6]}");
        }

        var settings = services.ToDictionary(s => $"EventLog:Publishers:{s}", s => (string?)Uri.UnescapeDataString(new Uri(users[s]).UserInfo.Split(':')[0]));
        await using var host = await Events.StartLogHostAsync(consumer, url, dir.Path, b => b.Services.AddRoster(), settings);
        var store = host.Services.GetRequiredService<IEventStore>();
        var head = store.HeadPosition;
        var probes = new List<string>();
        foreach (var type in Topology.ConsumedBy(consumer))
        {
            var owner = Topology.ProducerOf(type);
            var body = SampleOf(type);
            foreach (var intruder in services.Where(s => s != owner))
            {
                await using var raw = await RawPublisher.StartAsync(users[intruder]);
                var user = Uri.UnescapeDataString(new Uri(users[intruder]).UserInfo.Split(':')[0]);
                var e = NewEvent.From(new MemberStatusChanged(), new EventMetadata());
                // claiming to be itself, through the type's exchange; and claiming the owner, straight into the consumer's own exchange
                await raw.PublishAsync(WireHeaders.ExchangeFor(type), Headers(e, intruder, type), body, userId: user);
                await raw.PublishAsync(Topology.QueueOf(consumer), Headers(e, owner, type), body, userId: user);
                probes.Add($"{type} as {intruder} claiming {intruder}");
                probes.Add($"{type} as {intruder} claiming {owner} into {Topology.QueueOf(consumer)}");
            }
        }

        var client = new EventLogService.EventLogServiceClient(host.ChannelFor("operator"));
        await Eventually.UntilAsync(async () => (await client.GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue.Depth == probes.Count, TimeSpan.FromSeconds(60), $"the {probes.Count} claims in {Topology.ErrorQueueOf(consumer)}: {string.Join("; ", probes)}");
        var parked = (await client.ListErrorsAsync(new ListErrorsRequest { MaxMessages = 100 })).Messages;
        Assert.Equal(probes.Count, parked.Count);
        Assert.All(parked, m => Assert.Equal("ORIGIN_NOT_TRUSTED", m.Reason));
        Assert.Equal(head, store.HeadPosition);
        Assert.True(probes.Count >= 8, string.Join("; ", probes));
    }

    static Dictionary<string, string> Headers(NewEvent e, string source, string? type = null) => new()
    {
        [WireHeaders.EventId] = e.EventId,
        [WireHeaders.Type] = type ?? e.Type,
        [WireHeaders.Source] = source,
        [WireHeaders.StreamId] = "member-KAZ",
        [WireHeaders.StreamVersion] = "1",
        [WireHeaders.Position] = "1",
    };
}

/// <summary>Publishes like any AMQP client would, with whatever headers and body a test wants.</summary>
sealed class RawPublisher : IAsyncDisposable
{
    readonly string _user;
    IConnection _connection = null!;
    IChannel _channel = null!;

    RawPublisher(string user) => _user = user;

    public static async Task<RawPublisher> StartAsync(string url)
    {
        var publisher = new RawPublisher(Uri.UnescapeDataString(new Uri(url).UserInfo.Split(':')[0]));
        publisher._connection = await new ConnectionFactory { Uri = new Uri(url) }.CreateConnectionAsync();
        publisher._channel = await publisher._connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        return publisher;
    }

    /// <summary>Publishes to <paramref name="exchange"/> (declared fanout, durable); user_id is this connection's user unless given.</summary>
    public async Task PublishAsync(string exchange, Dictionary<string, string> headers, byte[] body, string? userId = null)
    {
        await _channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        var properties = new BasicProperties
        {
            ContentType = WireHeaders.ContentType,
            Persistent = true,
            UserId = userId ?? _user,
            Headers = headers.ToDictionary(h => h.Key, h => (object?)Encoding.UTF8.GetBytes(h.Value)),
        };
        await _channel.BasicPublishAsync(exchange, "", mandatory: false, properties, body);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
