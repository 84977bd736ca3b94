using MassTransit;

namespace Csto.EventLog.Inbox;

/// <summary>The error pipe of the service's receive endpoint: moves the faulted message to the error queue (see <see cref="ErrorQueue.MoveAsync"/>).</summary>
public sealed class ErrorQueueFilter(ErrorQueue errors) : IFilter<ExceptionReceiveContext>
{
    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        var userId = context.TryGetPayload<RabbitMqBasicConsumeContext>(out var amqp) ? amqp.Properties.UserId : null;
        var contentType = context.ContentType?.ToString();
        await errors.MoveAsync(context.Body.GetBytes(), context.TransportHeaders.GetAll(), contentType, userId, context.Exception, context.CancellationToken).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context) => context?.CreateFilterScope("csto-error-queue");
}
