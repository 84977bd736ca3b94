using System.Collections.Concurrent;
using System.Text;
using Csto.EventLog;
using Csto.EventLog.Relay;
using Csto.EventLog.V1;
using Csto.EventLog.Wire;
using Csto.Testing;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit;
using Xunit.Abstractions;

namespace Csto.EventLog.Tests;

/// <summary>The relay against a broker of its own, which the test stops and starts.</summary>
public sealed class RelayTests(PrivateRabbitMqFixture broker, ITestOutputHelper output) : IClassFixture<PrivateRabbitMqFixture>
{
    const string Type = "csto.common.v1.Date";

    [Fact]
    public async Task Ten_thousand_events_all_arrive_across_a_broker_outage_and_the_checkpoint_survives_a_restart()
    {
        using var dir = new TempDir();
        var url = await broker.NewVirtualHostUrlAsync();
        await using var received = await WireConsumer.StartAsync(url, Type, "relay-test");

        var host = await Events.StartLogHostAsync("relaytest", url, dir.Path);
        var store = host.Services.GetRequiredService<IEventStore>();
        var relay = host.Services.GetRequiredService<EventRelay>();
        await AppendAsync(store, 0, 5000);
        await Eventually.UntilAsync(() => Task.FromResult(received.Distinct >= 1000), TimeSpan.FromSeconds(60), "first 1000 events on the wire");

        await broker.StopBrokerAsync();
        await AppendAsync(store, 5000, 5000); // appended while the broker is down: delayed, never lost
        await Eventually.UntilAsync(() => Task.FromResult(relay.LastError.Length > 0), TimeSpan.FromSeconds(60), "the relay failing to publish while the broker is down");
        // nothing appended after the stop can have been confirmed: a checkpoint past 5,000 would skip unconfirmed events
        Assert.True(relay.Checkpoint <= 5000, $"the checkpoint {relay.Checkpoint} passed events appended while the broker was down");
        await broker.StartBrokerAsync();

        await Eventually.UntilAsync(() => Task.FromResult(received.Distinct == 10_000), TimeSpan.FromSeconds(120), "all 10,000 events on the wire");
        await Eventually.UntilAsync(() => Task.FromResult(relay.Checkpoint == 10_000), TimeSpan.FromSeconds(30), "relay checkpoint at the head");
        var log = await store.ReadAllAsync(1, long.MaxValue, ReadFilter.All, 20_000);
        Assert.Equal(log.Records.Select(r => r.EventId).Order(), received.Ids.Order());
        Assert.Equal(10_000, await store.GetCheckpointAsync(EventRelay.CheckpointName));
        output.WriteLine($"broker: {broker.Kind}; deliveries {received.Deliveries}, distinct {received.Distinct}, duplicates {received.Deliveries - received.Distinct}");
        output.WriteLine($"per-stream order held on first delivery: {received.OutOfOrder == 0} ({received.OutOfOrder} events arrived after a later version of their stream)");

        // restart the relay: it resumes from the persisted checkpoint and does not publish the old range again
        await host.DisposeAsync();
        host = await Events.StartLogHostAsync("relaytest", url, dir.Path);
        store = host.Services.GetRequiredService<IEventStore>();
        relay = host.Services.GetRequiredService<EventRelay>();
        await AppendAsync(store, 10_000, 10);
        await Eventually.UntilAsync(() => Task.FromResult(relay.Checkpoint == 10_010), TimeSpan.FromSeconds(60), "the relay at the new head after the restart");
        await Eventually.UntilAsync(() => Task.FromResult(received.Distinct == 10_010), TimeSpan.FromSeconds(60), "10 events after the restart");
        Assert.Equal(10, relay.PublishedCount);
        await host.DisposeAsync();
    }

    [Fact]
    public async Task An_event_on_the_wire_carries_the_protobuf_event_as_body_and_the_record_as_headers()
    {
        using var dir = new TempDir();
        var url = await broker.NewVirtualHostUrlAsync();
        await using var received = await WireConsumer.StartAsync(url, "csto.membership.v1.MemberStatusChanged", "wire-test");
        await using var host = await Events.StartLogHostAsync("membership", url, dir.Path);
        var store = host.Services.GetRequiredService<IEventStore>();
        var e = Events.Status("UZB", Csto.Membership.V1.MemberStatus.Suspended, 3);
        e.Metadata.EffectiveTime = Dates.ToEffectiveTime(new DateOnly(2012, 12, 19));
        e.Metadata.CausationId = "decision-1";
        await store.AppendAsync(new AppendRequest("member-UZB", ExpectedVersion.Any, [e]));

        await Eventually.UntilAsync(() => Task.FromResult(received.Distinct == 1), TimeSpan.FromSeconds(30), "the event on the wire");
        var (headers, body, contentType) = received.Messages.Single();
        Assert.Equal(WireHeaders.ContentType, contentType);
        var message = Csto.Membership.V1.MemberStatusChanged.Parser.ParseFrom(body);
        Assert.Equal("UZB", message.State);
        Assert.Equal(e.EventId, headers[WireHeaders.EventId]);
        Assert.Equal("csto.membership.v1.MemberStatusChanged", headers[WireHeaders.Type]);
        Assert.Equal("membership", headers[WireHeaders.Source]);
        Assert.Equal("member-UZB", headers[WireHeaders.StreamId]);
        Assert.Equal("1", headers[WireHeaders.StreamVersion]);
        Assert.Equal("1", headers[WireHeaders.Position]);
        Assert.Equal("decision-1", headers[WireHeaders.CausationId]);
        Assert.StartsWith("2012-12-19T00:00:00", headers[WireHeaders.EffectiveTime], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_on_the_wire_carries_only_the_suites_headers_and_properties()
    {
        using var dir = new TempDir();
        var url = await broker.NewVirtualHostUrlAsync();
        await using var received = await WireConsumer.StartAsync(url, "csto.membership.v1.MemberStatusChanged", "clean-wire-test");
        await using var host = await Events.StartLogHostAsync("membership", url, dir.Path);
        var store = host.Services.GetRequiredService<IEventStore>();
        // nothing optional: only the headers every event has
        var bare = Events.Status("UZB", Csto.Membership.V1.MemberStatus.Suspended, 3) with { Metadata = new EventMetadata() };
        var full = Events.Status("KAZ", Csto.Membership.V1.MemberStatus.Member, 4) with
        {
            Metadata = new EventMetadata
            {
            CorrelationId = Guid.NewGuid().ToString(), CausationId = "request:r1", EffectiveTime = Dates.ToEffectiveTime(new DateOnly(2022, 1, 6)),
            Actor = new Actor { Subject = "d1", Role = "delegate", State = "KAZ" },
            Traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", Tracestate = "csto=1",
                Provenance = new Csto.Common.V1.Provenance { Basis = Csto.Common.V1.Basis.Sourced, Source = "the treaty", Reason = "signed" },
            },
        };
        await store.AppendAsync(new AppendRequest("member-UZB", ExpectedVersion.Any, [bare]));
        await store.AppendAsync(new AppendRequest("member-KAZ", ExpectedVersion.Any, [full]));

        await Eventually.UntilAsync(() => Task.FromResult(received.Distinct == 2), TimeSpan.FromSeconds(30), "both events on the wire");
        var raw = received.Raw.ToDictionary(m => m.Properties.MessageId!);
        // read from the raw AMQP message: no header of the client library (x-dotnet-pub-seq-no) or of MassTransit
        Assert.Equal(WireHeaders.Always.Order(StringComparer.Ordinal), raw[bare.EventId].HeaderNames.Order(StringComparer.Ordinal));
        Assert.Equal(WireHeaders.Always.Concat(WireHeaders.WhenSet).Order(StringComparer.Ordinal), raw[full.EventId].HeaderNames.Order(StringComparer.Ordinal));
        var properties = raw[full.EventId].Properties;
        Assert.Equal(WireHeaders.ContentType, properties.ContentType);
        Assert.Equal(DeliveryModes.Persistent, properties.DeliveryMode);
        Assert.Equal(full.Metadata.CorrelationId, properties.CorrelationId);
        Assert.Equal(new Uri(url).UserInfo.Split(':')[0], properties.UserId);
        Assert.False(properties.IsTypePresent());
    }

    static async Task AppendAsync(IEventStore store, int start, int count) =>
        await Task.WhenAll(Enumerable.Range(start, count).Chunk(100).Select(chunk => Task.Run(async () =>
        {
            foreach (var i in chunk)
            {
                await store.AppendAsync(new AppendRequest($"stream-{i % 20}", ExpectedVersion.Any, [Events.Any(i)]));
            }
        })));
}

/// <summary>A plain RabbitMQ.Client consumer, as a non-.NET client would be: no MassTransit, only the protos and the headers.</summary>
sealed class WireConsumer : IAsyncDisposable
{
    readonly ConcurrentDictionary<string, byte> _ids = new();
    readonly ConcurrentDictionary<string, long> _lastVersion = new();
    readonly ConcurrentQueue<(Dictionary<string, string> Headers, byte[] Body, string ContentType)> _messages = new();
    IConnection _connection = null!;
    IChannel _channel = null!;
    long _deliveries;
    long _outOfOrder;

    public int Distinct => _ids.Count;

    public long Deliveries => Interlocked.Read(ref _deliveries);

    public long OutOfOrder => Interlocked.Read(ref _outOfOrder);

    public IEnumerable<string> Ids => _ids.Keys;

    public IEnumerable<(Dictionary<string, string> Headers, byte[] Body, string ContentType)> Messages => _messages;

    /// <summary>Every delivery as the broker gave it: its properties and the names of all its headers, whatever their type.</summary>
    public IEnumerable<(IReadOnlyBasicProperties Properties, IReadOnlyList<string> HeaderNames)> Raw => _raw;

    readonly ConcurrentQueue<(IReadOnlyBasicProperties Properties, IReadOnlyList<string> HeaderNames)> _raw = new();

    public static async Task<WireConsumer> StartAsync(string url, string exchange, string queue)
    {
        var consumer = new WireConsumer();
        var factory = new ConnectionFactory { Uri = new Uri(url), AutomaticRecoveryEnabled = true, TopologyRecoveryEnabled = true, NetworkRecoveryInterval = TimeSpan.FromMilliseconds(500) };
        consumer._connection = await factory.CreateConnectionAsync();
        consumer._channel = await consumer._connection.CreateChannelAsync();
        var ch = consumer._channel;
        await ch.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        await ch.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        await ch.QueueBindAsync(queue, exchange, "");
        await ch.BasicQosAsync(0, 500, false);
        var basic = new AsyncEventingBasicConsumer(ch);
        basic.ReceivedAsync += async (_, ea) =>
        {
            var headers = (ea.BasicProperties.Headers ?? new Dictionary<string, object?>())
                .Where(h => h.Value is byte[])
                .ToDictionary(h => h.Key, h => Encoding.UTF8.GetString((byte[])h.Value!));
            consumer._raw.Enqueue((new BasicProperties(ea.BasicProperties), [.. (ea.BasicProperties.Headers ?? new Dictionary<string, object?>()).Keys]));
            consumer.Record(headers, ea.Body.ToArray(), ea.BasicProperties.ContentType ?? "");
            await ch.BasicAckAsync(ea.DeliveryTag, false);
        };
        await ch.BasicConsumeAsync(queue, autoAck: false, basic);
        return consumer;
    }

    void Record(Dictionary<string, string> headers, byte[] body, string contentType)
    {
        Interlocked.Increment(ref _deliveries);
        var id = headers[WireHeaders.EventId];
        if (!_ids.TryAdd(id, 0))
        {
            return;
        }

        var stream = headers[WireHeaders.StreamId];
        var version = long.Parse(headers[WireHeaders.StreamVersion], System.Globalization.CultureInfo.InvariantCulture);
        _lastVersion.AddOrUpdate(stream, version, (_, last) =>
        {
            if (version < last)
            {
                Interlocked.Increment(ref _outOfOrder);
            }

            return Math.Max(last, version);
        });
        if (_messages.Count < 100)
        {
            _messages.Enqueue((headers, body, contentType));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
