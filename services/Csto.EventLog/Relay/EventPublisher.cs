using Csto.EventLog.Hosting;
using Csto.EventLog.V1;
using Csto.EventLog.Wire;
using RabbitMQ.Client;

namespace Csto.EventLog.Relay;

/// <summary>
/// Sends a record to the fanout exchange of its type, on a channel of its own (<see cref="BrokerChannel"/>, publisher
/// confirms on, mandatory for the types the suite consumes). What goes on the wire is exactly the table of docs/event-log.md: the
/// protobuf body, <see cref="WireHeaders"/>, message id, correlation id, user id, persistent, the content type.
/// </summary>
public sealed class EventPublisher(EventLogOptions options) : IAsyncDisposable
{
    readonly BrokerChannel _broker = new(options, "relay");
    readonly HashSet<string> _declared = new(StringComparer.Ordinal);
    IChannel? _declaredOn;

    /// <summary>Returns once the message is sent; the task it returns completes when the broker confirmed it.</summary>
    public Task<Task> SendAsync(EventRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _broker.RunAsync(async channel =>
        {
            var exchange = WireHeaders.ExchangeFor(record.Type);
            if (!ReferenceEquals(channel, _declaredOn))
            {
                _declared.Clear();
                _declaredOn = channel;
            }

            if (!_declared.Contains(exchange))
            {
                await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
                _declared.Add(exchange);
            }

            var properties = new BasicProperties
            {
                ContentType = WireHeaders.ContentType,
                Persistent = true,
                // the broker checks that user_id is the connection's user: consumers trust the origin by it
                UserId = _broker.User,
                MessageId = record.EventId,
                CorrelationId = record.Metadata?.CorrelationId is { Length: > 0 } correlation ? correlation : null,
                Headers = WireHeaders.From(record).ToDictionary(h => h.Key, h => (object?)h.Value, StringComparer.Ordinal),
            };
            // routed to no queue (a consumer's queue missing): returned by the broker, the confirm fails, the relay holds its checkpoint
            return await _broker.PublishAsync(channel, exchange, Topology.HasConsumers(record.Type), properties, record.Data.Memory, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>Sends and waits for the broker's confirm.</summary>
    public async Task PublishAsync(EventRecord record, CancellationToken cancellationToken) =>
        await (await SendAsync(record, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>The next send connects again: a confirm failed (a nack, a return, or none in time) and the channel may be at fault.</summary>
    public Task AbandonChannelAsync(string why) => _broker.AbandonAsync(why);

    public ValueTask DisposeAsync() => _broker.DisposeAsync();
}
