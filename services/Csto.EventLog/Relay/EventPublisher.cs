using System.Collections.Concurrent;
using Csto.EventLog.V1;
using Csto.EventLog.Wire;
using MassTransit;

namespace Csto.EventLog.Relay;

/// <summary>Sends a record to the fanout exchange of its type through MassTransit (publisher confirms on; mandatory for the types the suite consumes).</summary>
public sealed class EventPublisher(IBus bus, BrokerChannel broker)
{
    readonly ConcurrentDictionary<string, Task<ISendEndpoint>> _endpoints = new(StringComparer.Ordinal);

    public async Task PublishAsync(EventRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var endpoint = await _endpoints.GetOrAdd(
            record.Type,
            type => bus.GetSendEndpoint(new Uri($"exchange:{WireHeaders.ExchangeFor(type)}?type=fanout&durable=true"))).ConfigureAwait(false);
        await endpoint.Send(record, Pipe.Execute<SendContext<EventRecord>>(ctx =>
        {
            ctx.Serializer = ProtobufEventSerializer.Instance;
            ctx.ContentType = ProtobufEventSerializer.Instance.ContentType;
            ctx.Durable = true;
            if (ctx.TryGetPayload<RabbitMqSendContext>(out var rabbit))
            {
                // the broker checks that user_id is the connection's user: consumers trust the origin by it
                rabbit.BasicProperties.UserId = broker.User;
                // routed to no queue (a consumer's queue missing): returned by the broker, the send fails, the relay holds its checkpoint
                rabbit.Mandatory = Topology.HasConsumers(record.Type);
            }

            if (Guid.TryParse(record.EventId, out var id))
            {
                ctx.MessageId = id;
            }

            if (Guid.TryParse(record.Metadata?.CorrelationId, out var correlation))
            {
                ctx.CorrelationId = correlation;
            }

            foreach (var (key, value) in WireHeaders.From(record))
            {
                ctx.Headers.Set(key, value);
            }
        }), cancellationToken).ConfigureAwait(false);
    }
}
