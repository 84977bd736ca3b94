using Csto.EventLog.Commands;
using Csto.EventLog.Hosting;
using Csto.EventLog.V1;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csto.EventLog.Inbox;

/// <summary>
/// A service's reaction to another service's events: the command the incoming event asks for. The command path runs it
/// like an API write (fold, decide, append with the expected version) and writes the processed event id in the same
/// transaction, so an incoming event takes effect at most once.
/// </summary>
public interface IEventHandler
{
    /// <summary>Consumer name in the inbox table.</summary>
    string Name { get; }

    /// <summary>Protobuf full names of the event types handled.</summary>
    IReadOnlyCollection<string> EventTypes { get; }

    /// <summary>The write <paramref name="incoming"/> asks of this service, or null when it asks nothing (it is still marked processed).</summary>
    ICommand? Handle(EventRecord incoming);
}

public sealed partial class EventInbox(IEventStore store, CommandPath commands, IEnumerable<IEventHandler> handlers, ILogger<EventInbox>? logger = null)
{
    readonly IEventHandler[] _handlers = [.. handlers];
    readonly ILogger _logger = logger ?? NullLogger<EventInbox>.Instance;

    long _deliveries;
    long _duplicates;

    /// <summary>Deliveries of other services' events since start, and those every handler had processed before (ignored).</summary>
    public long Deliveries => Interlocked.Read(ref _deliveries);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public IReadOnlyCollection<string> EventTypes => [.. _handlers.SelectMany(h => h.EventTypes).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Delivers one incoming record to every handler of its type; duplicates change nothing.</summary>
    public async Task DeliverAsync(EventRecord incoming, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        if (Wire.WireHeaders.Problem(incoming) is { } problem)
        {
            throw new PoisonMessageException(PoisonMessageException.NotACstoEvent, problem);
        }

        if (string.Equals(incoming.SourceService, store.ServiceName, StringComparison.Ordinal))
        {
            return; // a service's own events reach its queue when it records a type it also consumes; they are already applied
        }

        var handlers = _handlers.Where(h => h.EventTypes.Contains(incoming.Type)).ToList();
        if (handlers.Count == 0)
        {
            throw new PoisonMessageException(PoisonMessageException.UnknownType, $"{store.ServiceName} consumes no events of type '{incoming.Type}'");
        }

        if (incoming.Data.IsEmpty)
        {
            throw new PoisonMessageException(PoisonMessageException.EmptyBody, $"{incoming.Type} {incoming.EventId} has an empty body");
        }

        using var span = EventLogTelemetry.StartConsume(store.ServiceName, incoming);
        var sourceId = CommandPath.SourceId(incoming);
        var processedBefore = 0;
        Violation? refused = null;
        var applied = 0;
        foreach (var handler in handlers)
        {
            if (await store.IsProcessedAsync(handler.Name, sourceId, cancellationToken).ConfigureAwait(false))
            {
                processedBefore++;
                continue;
            }

            ICommand? command;
            try
            {
                command = handler.Handle(incoming);
            }
            catch (Google.Protobuf.InvalidProtocolBufferException ex)
            {
                EventLogTelemetry.Fail(span, ex);
                throw new PoisonMessageException(PoisonMessageException.Undecodable, $"{incoming.Type} {incoming.EventId}: {ex.Message}");
            }

            try
            {
                if (await commands.DeliverAsync(command, incoming, handler.Name, cancellationToken).ConfigureAwait(false) is { } violation)
                {
                    refused = violation;
                    LogIgnored(_logger, store.ServiceName, handler.Name, incoming.Type, incoming.EventId, incoming.SourceService, violation.Code, violation.Description);
                }
                else
                {
                    applied++;
                }
            }
            catch (Exception ex)
            {
                EventLogTelemetry.Fail(span, ex);
                throw;
            }
        }

        var outcome = processedBefore == handlers.Count ? EventLogTelemetry.Duplicate : applied == 0 && refused is not null ? EventLogTelemetry.Ignored : EventLogTelemetry.Applied;
        span?.SetTag("csto.outcome", outcome);
        EventLogTelemetry.Delivered(store.ServiceName, outcome);
        if (processedBefore == handlers.Count)
        {
            Interlocked.Increment(ref _duplicates);
            LogDuplicate(_logger, store.ServiceName, incoming.Type, incoming.EventId, incoming.SourceService);
        }
        else if (applied > 0)
        {
            LogApplied(_logger, store.ServiceName, incoming.Type, incoming.EventId, incoming.SourceService, incoming.Position);
        }

        Interlocked.Increment(ref _deliveries);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "consumer of {Service}: applied {Type} {EventId} from {Source} at position {Position}")]
    static partial void LogApplied(ILogger logger, string service, string type, string eventId, string source, long position);

    [LoggerMessage(Level = LogLevel.Debug, Message = "consumer of {Service}: {Type} {EventId} from {Source} was applied before, ignored (duplicate delivery)")]
    static partial void LogDuplicate(ILogger logger, string service, string type, string eventId, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "consumer {Consumer} of {Service}: {Type} {EventId} from {Source} not applied, refused by {Reason}: {Description}")]
    static partial void LogIgnored(ILogger logger, string service, string consumer, string type, string eventId, string source, string reason, string description);
}

/// <summary>The MassTransit consumer of every incoming csto event: the origin check, then the inbox does the rest.</summary>
public sealed class EventRecordConsumer(EventInbox inbox, OriginCheck origin) : IConsumer<EventRecord>
{
    public Task Consume(ConsumeContext<EventRecord> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        origin.Verify(context);
        return inbox.DeliverAsync(context.Message, context.CancellationToken);
    }
}

/// <summary>
/// Only the suite speaks for the suite: a message is applied only when its type belongs to the service it claims to come
/// from (csto-source; the owner of csto.&lt;service&gt;.v1.X is &lt;service&gt;), and the AMQP user_id (which the broker validates
/// against the publishing connection's user) is that service's broker user. A message this service re-drove from its own error queue carries its own user_id and the original
/// one in <see cref="ErrorQueue.OriginalUserIdHeader"/>.
/// </summary>
public sealed class OriginCheck(Hosting.EventLogOptions options, Relay.BrokerChannel broker)
{
    /// <summary>
    /// The broker user that publishes <paramref name="source"/>'s events: configured, else csto-&lt;source&gt; when this service's
    /// own user follows that convention (it is csto-&lt;this service&gt;), else this service's own user (one user for the whole
    /// suite, e.g. the broker's administrator csto-admin in the test harness: a csto- prefix alone is not a service's user).
    /// </summary>
    public string ExpectedUser(string source) =>
        options.Publishers.TryGetValue(source, out var configured) && configured.Length > 0 ? configured
        : string.Equals(broker.User, "csto-" + options.ServiceName, StringComparison.Ordinal) ? "csto-" + source
        : broker.User;

    public void Verify(ConsumeContext<EventRecord> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Wire.WireHeaders.Problem(context.Message) is { } problem)
        {
            throw new PoisonMessageException(PoisonMessageException.NotACstoEvent, problem);
        }

        var source = context.Message.SourceService;
        // each event from its owner only: a service records the types of its own package (csto.<service>.v1), so a
        // message that claims another source for a type is parked whoever published it
        var owner = Wire.Topology.ProducerOf(context.Message.Type);
        if (!string.Equals(owner, source, StringComparison.Ordinal))
        {
            throw new PoisonMessageException(PoisonMessageException.OriginNotTrusted,
                $"{context.Message.Type} {context.Message.EventId} claims to come from '{source}', but only '{(owner.Length > 0 ? owner : "no service of the suite")}' records {context.Message.Type}");
        }

        var userId = context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var amqp) ? amqp.Properties.UserId ?? "" : "";
        var original = context.Headers.Get<string>(ErrorQueue.OriginalUserIdHeader);
        var expected = ExpectedUser(source);
        // a re-driven message is judged by the user it was first published by (and only this service may re-drive)
        var trusted = original is null
            ? string.Equals(userId, expected, StringComparison.Ordinal)
            : string.Equals(userId, broker.User, StringComparison.Ordinal) && string.Equals(original, expected, StringComparison.Ordinal);
        if (!trusted)
        {
            throw new PoisonMessageException(PoisonMessageException.OriginNotTrusted,
                $"{context.Message.Type} {context.Message.EventId} claims to come from '{source}' but was published by broker user '{(original ?? userId)}' (expected '{expected}')");
        }
    }
}
