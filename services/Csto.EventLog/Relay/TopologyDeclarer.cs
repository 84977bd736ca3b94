using Csto.EventLog.Hosting;
using Csto.EventLog.Wire;
using RabbitMQ.Client;

namespace Csto.EventLog.Relay;

/// <summary>
/// Declares, idempotently, the exchanges of this service's event types, the queues of their consumers (from
/// <see cref="Topology"/>) and a binding of each such queue to the type's exchange (MassTransit's receive endpoint adds its
/// own path through an exchange of the queue's name; the broker still delivers one copy per queue). The direct binding
/// needs no read right on another service's queue or exchange. The relay runs it before every batch, so a queue deleted
/// while its consumer is down is back before the next event is published. The queues take <c>EventLog:QueueType</c>, as
/// the consumer's own declaration does (the broker refuses two declarations of one queue with different types).
/// </summary>
public sealed class TopologyDeclarer(EventLogOptions options, BrokerChannel broker)
{
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        var declarations = Topology.PublishedBy(options.ServiceName).ToList();
        if (declarations.Count == 0)
        {
            return;
        }

        await broker.RunAsync(async channel =>
        {
            foreach (var (type, consumer) in declarations)
            {
                var exchange = WireHeaders.ExchangeFor(type);
                var queue = Topology.QueueOf(consumer);
                await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
                await QueueDeclaration.DeclareAsync(channel, queue, options.QueueType, cancellationToken).ConfigureAwait(false);
                await channel.QueueBindAsync(queue, exchange, "", cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
    }
}
