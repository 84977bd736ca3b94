using Csto.EventLog.Commands;
using Csto.EventLog.V1;
using MassTransit;

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

public sealed class EventInbox(IEventStore store, CommandPath commands, IEnumerable<IEventHandler> handlers)
{
    readonly IEventHandler[] _handlers = [.. handlers];

    public IReadOnlyCollection<string> EventTypes => [.. _handlers.SelectMany(h => h.EventTypes).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Delivers one incoming record to every handler of its type; duplicates change nothing.</summary>
    public async Task DeliverAsync(EventRecord incoming, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        if (string.Equals(incoming.SourceService, store.ServiceName, StringComparison.Ordinal))
        {
            return; // a service's own events reach its queue when it records a type it also consumes; they are already applied
        }

        var sourceId = CommandPath.SourceId(incoming);
        foreach (var handler in _handlers)
        {
            if (handler.EventTypes.Contains(incoming.Type) && !await store.IsProcessedAsync(handler.Name, sourceId, cancellationToken).ConfigureAwait(false))
            {
                await commands.DeliverAsync(handler.Handle(incoming), incoming, handler.Name, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>The MassTransit consumer of every incoming csto event; the inbox does the rest.</summary>
public sealed class EventRecordConsumer(EventInbox inbox) : IConsumer<EventRecord>
{
    public Task Consume(ConsumeContext<EventRecord> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return inbox.DeliverAsync(context.Message, context.CancellationToken);
    }
}
