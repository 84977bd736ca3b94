using Csto.EventLog.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Csto.EventLog.Relay;

/// <summary>
/// Declares a durable queue of the configured <see cref="QueueType"/> through the service's own channel. The broker refuses
/// to redeclare a queue with another type (classic to quorum or back) with a bare PRECONDITION_FAILED; this turns that into
/// an error that says what happened and what to do, since it shows as the relay's or the error queue's last error.
/// </summary>
public static class QueueDeclaration
{
    public static async Task DeclareAsync(IChannel channel, string queue, QueueType type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        try
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: type.Arguments(), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason is { ReplyCode: 406 } reason && reason.ReplyText.Contains("x-queue-type", StringComparison.Ordinal))
        {
            throw new QueueTypeMismatchException(queue, type, reason.ReplyText, ex);
        }
    }
}

/// <summary>A queue exists on the broker with another type than <c>EventLog:QueueType</c> says; the broker cannot change it.</summary>
public sealed class QueueTypeMismatchException(string queue, QueueType wanted, string brokerText, Exception inner) : Exception(
    $"queue {queue} exists on the broker with another type than {QueueTypes.Setting}={wanted.Name()} (PRECONDITION_FAILED: {brokerText}). " +
    $"A queue's type cannot be changed: give every service of this broker the same {QueueTypes.Setting}, or, to move, stop the consumer, " +
    "let its queue drain, delete it and restart the services with the new setting (what is still in a deleted queue is lost).", inner)
{
    public string Queue { get; } = queue;
}
