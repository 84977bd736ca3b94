using System.Diagnostics;
using Csto.EventLog;
using Csto.EventLog.V1;
using Csto.Operations.Shared;
using Google.Protobuf;

namespace Csto.Operations.Operations;

/// <summary>Loads an operation by folding its stream and appends what a decide function returned.</summary>
public sealed class OperationStore(IEventStore store)
{
    const int MaxConflictRetries = 5;

    public IEventStore Log => store;

    public async Task<OperationState?> LoadAsync(string operationId, CancellationToken cancellationToken) =>
        OperationEvents.Fold(await store.ReadStreamAsync(Ids.StreamOf(operationId), 1, cancellationToken));

    /// <summary>The ids of every operation ever opened, in log order.</summary>
    public async Task<IReadOnlyList<string>> OperationIdsAsync(CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        var from = 1L;
        var filter = new ReadFilter("operation-", [V1.OperationOpened.Descriptor.FullName]);
        while (from <= store.HeadPosition)
        {
            var slice = await store.ReadAllAsync(from, store.HeadPosition, filter, 1000, cancellationToken);
            ids.AddRange(slice.Records.Select(r => r.StreamId["operation-".Length..]));
            from = slice.ScannedTo + 1;
        }

        return ids;
    }

    /// <summary>
    /// Runs <paramref name="decide"/> on the current state and appends its events at the version it saw
    /// (retrying on a concurrent append). With a <paramref name="requestKey"/> the event ids derive from it:
    /// when the first of them is already in the stream, the call is a retry and gets the events the first
    /// attempt appended, without deciding again.
    /// </summary>
    /// <returns>The events appended (or found), or the violation; null state when the operation does not exist.</returns>
    public async Task<(bool Found, Decided Result)> ExecuteAsync(
        string operationId, string? requestKey, Func<OperationState, Decided> decide, EventMetadata metadata, CancellationToken cancellationToken)
    {
        var stream = Ids.StreamOf(operationId);
        for (var attempt = 1; ; attempt++)
        {
            var records = await store.ReadStreamAsync(stream, 1, cancellationToken);
            if (records.Count == 0)
            {
                return (false, Decided.Ok());
            }

            if (requestKey is not null && Replayed(records, requestKey) is { Count: > 0 } earlier)
            {
                return (true, Decided.Ok([.. earlier]));
            }

            var decided = decide(OperationEvents.Fold(records)!);
            if (decided.Refused || decided.Events.Count == 0)
            {
                return (true, decided);
            }

            var events = decided.Events.Select((e, i) => NewEvent.From(e, WithEffectiveTime(metadata, e), requestKey is null ? null : EventIds.FromName("operations", requestKey, i))).ToList();
            try
            {
                await store.AppendAsync(new AppendRequest(stream, records.Count, events), cancellationToken);
                return (true, decided);
            }
            catch (WrongExpectedVersionException) when (attempt < MaxConflictRetries)
            {
                // another write got there first: decide again on the new state
            }
        }
    }

    static List<IMessage> Replayed(IReadOnlyList<EventRecord> records, string requestKey)
    {
        var found = new List<IMessage>();
        var start = -1;
        for (var i = 0; i < records.Count && start < 0; i++)
        {
            if (records[i].EventId == EventIds.FromName("operations", requestKey, 0))
            {
                start = i;
            }
        }

        for (var i = start; start >= 0 && i < records.Count && records[i].EventId == EventIds.FromName("operations", requestKey, i - start); i++)
        {
            found.Add(OperationEvents.Parse(records[i])!);
        }

        return found;
    }

    public static EventMetadata WithEffectiveTime(EventMetadata metadata, IMessage e)
    {
        var copy = metadata.Clone();
        if (OperationEvents.EffectiveDate(e) is { } day)
        {
            copy.EffectiveTime = Dates.ToEffectiveTime(day);
        }

        return copy;
    }

    /// <summary>Metadata of an API write: the request id (or a new id) correlates and causes.</summary>
    public static EventMetadata ForRequest(string requestId, Actor actor)
    {
        var id = string.IsNullOrEmpty(requestId) ? Guid.NewGuid().ToString() : requestId;
        return new EventMetadata
        {
            CorrelationId = id,
            CausationId = id,
            Traceparent = Activity.Current?.Id ?? "",
            Actor = actor,
        };
    }
}
