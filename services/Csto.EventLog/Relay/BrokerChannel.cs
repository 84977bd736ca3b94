using Csto.EventLog.Hosting;
using RabbitMQ.Client;

namespace Csto.EventLog.Relay;

/// <summary>
/// One plain AMQP channel of the service's own broker user, beside MassTransit's: for what MassTransit does not do
/// (declaring the consumers' topology, reading the error queue, probing the broker). Calls are serialized; a failed
/// call throws the channel away and the next one reconnects, to any node of <c>EventLog:RabbitMqUrl</c> that answers (a
/// cluster's node that died is not waited for).
/// </summary>
public sealed class BrokerChannel(EventLogOptions options) : IAsyncDisposable
{
    readonly SemaphoreSlim _gate = new(1, 1);
    IConnection? _connection;
    IChannel? _channel;
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
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _lastError = ex.Message;
            await ResetAsync().ConfigureAwait(false); // a refused operation closes the channel: start over next time
            throw;
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
            ClientProvidedName = $"csto-{options.ServiceName}-admin",
            AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
        };
        // user, password and virtual host from the first URL; the nodes in turn (shuffled by the client) until one accepts
        var endpoints = options.Broker.Nodes.Select(n => new AmqpTcpEndpoint(n.Host, n.Port, factory.Ssl)).ToList();
        _connection = await factory.CreateConnectionAsync(endpoints, cancellationToken).ConfigureAwait(false);
        _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken).ConfigureAwait(false);
        return _channel;
    }

    async Task ResetAsync()
    {
        var channel = _channel;
        var connection = _connection;
        _channel = null;
        _connection = null;
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
