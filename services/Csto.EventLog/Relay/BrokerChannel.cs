using Csto.EventLog.Hosting;
using RabbitMQ.Client;

namespace Csto.EventLog.Relay;

/// <summary>
/// One plain AMQP channel of the service's own broker user, beside MassTransit's: for what MassTransit does not do
/// (publishing the log's events, declaring the consumers' topology, reading the error queue, probing the broker). Calls
/// are serialized; a failed call throws the channel away and the next one reconnects, to any node of
/// <c>EventLog:RabbitMqUrl</c> that answers (a cluster's node that died is not waited for).
/// Publisher confirms are on and tracked here (<see cref="PublishAsync"/>), not by the client library: its tracking stamps
/// a header of its own (<c>x-dotnet-pub-seq-no</c>) on every message, and the wire carries only the suite's headers.
/// </summary>
public sealed class BrokerChannel(EventLogOptions options, string purpose = "admin") : IAsyncDisposable
{
    readonly SemaphoreSlim _gate = new(1, 1);
    IConnection? _connection;
    IChannel? _channel;
    Confirms? _confirms;
    volatile string _lastError = "";
    long _lastSuccessTicks;

    /// <summary>The broker user of this service (the AMQP user_id its messages carry).</summary>
    public string User { get; } = options.Broker.User;

    public string LastError => _lastError;

    public DateTimeOffset? LastSuccess => Interlocked.Read(ref _lastSuccessTicks) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    public async Task<T> RunAsync<T>(Func<IChannel, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var channel = await ChannelAsync(cancellationToken).ConfigureAwait(false);
            var result = await work(channel).ConfigureAwait(false);
            _lastError = "";
            Interlocked.Exchange(ref _lastSuccessTicks, DateTimeOffset.UtcNow.UtcTicks);
            return result;
        }
        catch (Exception ex)
        {
            if (ex is not OperationCanceledException)
            {
                _lastError = ex.Message;
            }

            // a refused operation closes the channel, and one cancelled half-way (a publish that timed out) leaves it in
            // a state nobody knows: start over on a new connection next time
            await ResetAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Throws the channel away so that the next call connects again (to any node that answers). For a caller whose
    /// confirms failed on a channel that still looks open: after a cluster node died, such a channel went on nacking every
    /// publish to a quorum queue (RabbitMQ 3.10), or its confirms may never arrive, and every retry on it would fail again.
    /// </summary>
    public async Task AbandonAsync(string why)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _lastError = why;
            await ResetAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    async Task<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        await ResetAsync().ConfigureAwait(false);
        var factory = new ConnectionFactory
        {
            Uri = options.Broker.First,
            ClientProvidedName = $"csto-{options.ServiceName}-{purpose}",
            AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
        };
        // user, password and virtual host from the first URL; the nodes in turn (shuffled by the client) until one accepts
        var endpoints = options.Broker.Nodes.Select(n => new AmqpTcpEndpoint(n.Host, n.Port, factory.Ssl)).ToList();
        _connection = await factory.CreateConnectionAsync(endpoints, cancellationToken).ConfigureAwait(false);
        _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: false), cancellationToken).ConfigureAwait(false);
        _confirms = new Confirms(_channel);
        return _channel;
    }

    /// <summary>
    /// Publishes on <paramref name="channel"/> (the one <see cref="RunAsync{T}"/> gave) and returns, at once, the broker's
    /// confirm: it completes when the broker acknowledged the message and fails when the broker refused it (nack), returned it
    /// (mandatory, routed to no queue) or the channel closed first. Await it inside the work to wait for it there, or return
    /// it to keep many in flight.
    /// </summary>
    public async Task<Task> PublishAsync(IChannel channel, string exchange, bool mandatory, BasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(properties);
        var confirms = _confirms is { } c && ReferenceEquals(c.Channel, channel) ? c : throw new InvalidOperationException("publish on the channel RunAsync gave");
        var confirmed = await confirms.ExpectAsync(properties.MessageId, cancellationToken).ConfigureAwait(false);
        await channel.BasicPublishAsync(exchange, "", mandatory, properties, body, cancellationToken).ConfigureAwait(false);
        return confirmed;
    }

    /// <summary>
    /// The publisher confirms of one channel, by publish sequence number. A returned message is recognised by its message
    /// id (the broker sends basic.return before the basic.ack of the same message); a return without one fails every
    /// message the next ack covers (they are published again; consumers drop copies by event id).
    /// </summary>
    sealed class Confirms
    {
        readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, (TaskCompletionSource Done, string? MessageId)> _pending = new();
        readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _returned = new(StringComparer.Ordinal);
        volatile string? _returnedWithoutId;

        public Confirms(IChannel channel)
        {
            Channel = channel;
            channel.BasicAcksAsync += (_, e) => Settle(e.DeliveryTag, e.Multiple, null);
            channel.BasicNacksAsync += (_, e) => Settle(e.DeliveryTag, e.Multiple, "the broker refused the message (basic.nack)");
            channel.BasicReturnAsync += (_, e) =>
            {
                var why = $"returned by the broker: {e.ReplyCode} {e.ReplyText}, exchange '{e.Exchange}' routes it to no queue";
                if (e.BasicProperties.MessageId is { Length: > 0 } id)
                {
                    _returned[id] = why;
                }
                else
                {
                    _returnedWithoutId = why;
                }

                return Task.CompletedTask;
            };
            channel.ChannelShutdownAsync += (_, e) =>
            {
                foreach (var tag in _pending.Keys)
                {
                    if (_pending.TryRemove(tag, out var p))
                    {
                        p.Done.TrySetException(new IOException($"the channel closed before the broker confirmed: {e.ReplyCode} {e.ReplyText}"));
                    }
                }

                return Task.CompletedTask;
            };
        }

        public IChannel Channel { get; }

        public async Task<Task> ExpectAsync(string? messageId, CancellationToken cancellationToken)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[await Channel.GetNextPublishSequenceNumberAsync(cancellationToken).ConfigureAwait(false)] = (done, messageId);
            return done.Task;
        }

        Task Settle(ulong tag, bool multiple, string? refused)
        {
            var returnedWithoutId = _returnedWithoutId;
            _returnedWithoutId = null;
            foreach (var key in multiple ? _pending.Keys.Where(k => k <= tag).ToList() : [tag])
            {
                if (!_pending.TryRemove(key, out var p))
                {
                    continue;
                }

                var returned = p.MessageId is { Length: > 0 } id && _returned.TryRemove(id, out var why) ? why : returnedWithoutId;
                if ((refused ?? returned) is { } failure)
                {
                    p.Done.TrySetException(new IOException(failure));
                }
                else
                {
                    p.Done.TrySetResult();
                }
            }

            return Task.CompletedTask;
        }
    }

    async Task ResetAsync()
    {
        var channel = _channel;
        var connection = _connection;
        _channel = null;
        _connection = null;
        _confirms = null;
        try
        {
            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }

            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // a broken connection is being thrown away
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ResetAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
