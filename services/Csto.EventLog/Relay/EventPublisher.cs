using System.Collections.Concurrent;
using Csto.EventLog.V1;
using Csto.EventLog.Wire;
using MassTransit;

namespace Csto.EventLog.Relay;

/// <summary>Sends a record to the fanout exchange of its type through MassTransit (publisher confirms on).</summary>
public sealed class EventPublisher(IBus bus)
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
