using Csto.EventLog.V1;
using MassTransit;

namespace Csto.EventLog.Inbox;

/// <summary>
/// A service's reaction to another service's events. The handler decides what to append; the inbox
/// appends it together with the processed event id in one transaction, so an incoming event takes effect
/// at most once. Handlers must not rely on order: keep the source stream_version per entity and ignore
/// stale events.
/// </summary>
public interface IEventHandler
{
    /// <summary>Consumer name in the inbox table.</summary>
    string Name { get; }

    /// <summary>Protobuf full names of the event types handled.</summary>
    IReadOnlyCollection<string> EventTypes { get; }

    /// <summary>What to append for <paramref name="incoming"/>, or null when nothing changes.</summary>
    Task<AppendRequest?> HandleAsync(EventRecord incoming, CancellationToken cancellationToken);
}

public sealed class EventInbox(IEventStore store, IEnumerable<IEventHandler> handlers)
{
    const int MaxConflictRetries = 10;
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

        var sourceId = $"{incoming.SourceService}/{incoming.EventId}";
        foreach (var handler in _handlers)
        {
            if (!handler.EventTypes.Contains(incoming.Type) || await store.IsProcessedAsync(handler.Name, sourceId, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var entry = new InboxEntry(handler.Name, sourceId, incoming.SourceService, incoming.Position);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var request = await handler.HandleAsync(incoming, cancellationToken).ConfigureAwait(false);
                    request = request is null ? new AppendRequest("$inbox-" + handler.Name, ExpectedVersion.Any, [], entry) : request with { Inbox = entry };
                    await store.AppendAsync(request, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (WrongExpectedVersionException) when (attempt < MaxConflictRetries)
                {
                    // an API write got there first: decide again on the new state
                }
            }
        }
    }

    /// <summary>Metadata for an event caused by <paramref name="incoming"/>: same correlation, causation = its id.</summary>
    public static EventMetadata CausedBy(EventRecord incoming, string consumer)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        return new EventMetadata
        {
            CorrelationId = incoming.Metadata?.CorrelationId ?? "",
            CausationId = incoming.EventId,
            Traceparent = incoming.Metadata?.Traceparent ?? "",
            Actor = new Actor { Subject = "consumer:" + consumer, Role = "system" },
        };
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
