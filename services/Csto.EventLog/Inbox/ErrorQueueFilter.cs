using MassTransit;

namespace Csto.EventLog.Inbox;

/// <summary>The error pipe of the service's receive endpoint: moves the faulted message to the error queue (see <see cref="ErrorQueue.MoveAsync"/>).</summary>
public sealed class ErrorQueueFilter(ErrorQueue errors) : IFilter<ExceptionReceiveContext>
{
    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        await DeadLetterFilter.MoveAsync(errors, context, context.Exception).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context) => context?.CreateFilterScope("csto-error-queue");
}

/// <summary>
/// The dead-letter pipe (a message no consumer took, e.g. one that is not a csto event at all): to the same error queue,
/// instead of MassTransit's _skipped queue, which a service's broker user may not create.
/// </summary>
public sealed class DeadLetterFilter(ErrorQueue errors) : IFilter<ReceiveContext>
{
    public Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        // a message that faulted (e.g. could not be deserialized) was moved by the error pipe already
        return context.IsFaulted
            ? Task.CompletedTask
            : MoveAsync(errors, context, new PoisonMessageException(PoisonMessageException.NotACstoEvent, "no consumer took the message (not a csto event)"));
    }

    public void Probe(ProbeContext context) => context?.CreateFilterScope("csto-dead-letter");

    internal static Task MoveAsync(ErrorQueue errors, ReceiveContext context, Exception exception)
    {
        var userId = context.TryGetPayload<RabbitMqBasicConsumeContext>(out var amqp) ? amqp.Properties.UserId : null;
        return errors.MoveAsync(context.Body.GetBytes(), context.TransportHeaders.GetAll(), context.ContentType?.ToString(), userId, exception, context.CancellationToken);
    }
}
