using System.Diagnostics;
using Csto.EventLog.Hosting;
using Csto.EventLog.Projections;
using Csto.EventLog.Security;
using Csto.EventLog.V1;
using Csto.Kernel;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Csto.EventLog.Commands;

/// <summary>
/// Every write of every service, API call or consumed event, takes this one path: load and fold the stream; recognise a
/// retry by the event ids derived from its key; call the pure decide function; append with the expected version and, on
/// a conflict, load and decide again (bounded, then ABORTED); build the metadata the same way everywhere. A rule's
/// refusal becomes FAILED_PRECONDITION with ErrorInfo.reason, bad input INVALID_ARGUMENT with BadRequest (see
/// <see cref="Api.EventLogErrorInterceptor"/>).
/// A write does not wait for the projections: every query waits until they have applied the log's head before it reads
/// (<see cref="ProjectionRunner.WaitForPositionAsync"/> after <see cref="IEventStore.ReadHeadAsync"/>), so a caller still
/// reads its own write, on any instance, and a write pays for its own commit only.
/// </summary>
public sealed class CommandPath(IEventStore store, IHttpContextAccessor http)
{
    /// <summary>Attempts of one write when concurrent writes to the same stream keep winning.</summary>
    public const int MaxAttempts = 5;

    public const int MaxRequestIdLength = 128;

    /// <summary>The last folded state of each long stream, for commands that can continue a fold (<see cref="Command{TState}.FoldFrom"/>).</summary>
    public FoldedStates Folded { get; } = new();

    /// <summary>An API write: the caller from the token, the request id, the correlation id and trace context of the call.</summary>
    public Task<Written<TState>> ExecuteAsync<TState>(Command<TState> command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var requestId = command.RequestId ?? "";
        if (requestId.Length > MaxRequestIdLength)
        {
            throw new InvalidFieldException("request_id", $"at most {MaxRequestIdLength} characters (a UUID is recommended)");
        }

        var derived = requestId.Length > 0;
        // the request id names one request (AIP-155): reused for the same act on another entity, it derives ids that are
        // already in the log, and the store refuses it (INVALID_ARGUMENT request_id) instead of recording a second act
        var key = derived ? $"{command.Scope}|{requestId}" : Guid.NewGuid().ToString();
        return RunAsync(command, new WriteContext(key, ApiMetadata(requestId), null, derived), cancellationToken);
    }

    /// <summary>
    /// A write of the service itself (reference data, a timer): event ids derived from <paramref name="key"/>, so a repeated
    /// run is a no-op; <paramref name="metadata"/> names the system actor, correlation and causation.
    /// </summary>
    public Task<Written<TState>> ExecuteSystemAsync<TState>(Command<TState> command, string key, EventMetadata metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(metadata);
        return RunAsync(command, new WriteContext(key, metadata, null, Derived: true), cancellationToken);
    }

    /// <summary>
    /// A consumer's write for <paramref name="incoming"/>: ids derived from it, caused by it, in one transaction with the inbox
    /// entry. Returns the rule that refused it (only the refusal or the inbox entry was recorded), else null.
    /// </summary>
    public async Task<Violation?> DeliverAsync(ICommand? command, EventRecord incoming, string consumer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var inbox = new InboxEntry(consumer, SourceId(incoming), incoming.SourceService, incoming.Position);
        var context = new WriteContext($"{consumer}|{inbox.SourceEventId}", CausedBy(incoming, consumer), inbox, Derived: true);
        if (command is null)
        {
            await MarkProcessedAsync(inbox, cancellationToken).ConfigureAwait(false);
            return null;
        }

        return (await command.RunAsync(this, context, cancellationToken).ConfigureAwait(false)).Refused;
    }

    internal async Task<Written<TState>> RunAsync<TState>(Command<TState> command, WriteContext context, CancellationToken cancellationToken)
    {
        // one span per write, a child of the call or of the consumed event; its context is the traceparent stored in the
        // events it appends, so the relay's publish and the consumers in the other services continue this trace
        using var span = EventLogTelemetry.StartAppend(store.ServiceName, command.Stream, context.Metadata.Traceparent);
        try
        {
            var written = await RunOnceAsync(command, context, span, cancellationToken).ConfigureAwait(false);
            span?.SetTag("csto.events", written.EventIds.Count).SetTag("csto.retried", written.Retried);
            if (written.Refused is { } refused)
            {
                span?.SetTag("csto.refused", refused.Code);
            }

            return written;
        }
        catch (Exception ex)
        {
            EventLogTelemetry.Fail(span, ex);
            throw;
        }
    }

    async Task<Written<TState>> RunOnceAsync<TState>(Command<TState> command, WriteContext context, Activity? span, CancellationToken cancellationToken)
    {
        string EventId(int index) => EventIds.FromName(store.ServiceName, context.Key, index);
        for (var attempt = 1; ; attempt++)
        {
            var (records, version, state, earlier) = await LoadAsync(command, context, EventId, cancellationToken).ConfigureAwait(false);
            if (earlier.Count > 0)
            {
                return new Written<TState>(state, records, [.. earlier.Select(r => r.EventId)], [.. EventTypes.ParseAll(earlier)], Retried: true);
            }

            if (version == 0 && command.Expect == StreamExpectation.Existing)
            {
                throw new NotFoundException(command.Resource, $"no {command.Resource}");
            }

            if (version > 0 && command.Expect == StreamExpectation.New)
            {
                throw new AlreadyExistsException(command.Resource);
            }

            var verdict = command.Decide(state);
            if (verdict.Violation is { } violation)
            {
                if (context.Inbox is not { } inbox)
                {
                    throw new ViolationException(violation);
                }

                // a consumer cannot refuse what another service recorded: it records the refusal, or at least that it saw it
                if (command.OnRefused?.Invoke(violation) is { } instead)
                {
                    await instead.RunAsync(this, context, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await MarkProcessedAsync(inbox, cancellationToken).ConfigureAwait(false);
                }

                return new Written<TState>(state, records, [], [], Retried: false) { Refused = violation };
            }

            if (verdict.Events.Count == 0)
            {
                if (context.Inbox is { } inbox)
                {
                    await MarkProcessedAsync(inbox, cancellationToken).ConfigureAwait(false);
                }

                return new Written<TState>(state, records, [], [], Retried: false);
            }

            var actDate = command.ActDate?.Invoke(state) ?? command.EffectiveDate;
            var events = new List<NewEvent>(verdict.Events.Count);
            for (var i = 0; i < verdict.Events.Count; i++)
            {
                var e = verdict.Events[i];
                var metadata = context.Metadata.Clone();
                if (span is { IdFormat: ActivityIdFormat.W3C })
                {
                    metadata.Traceparent = span.Id;
                    metadata.Tracestate = span.TraceStateString ?? "";
                }

                if (((command.EffectiveDateOf ?? EventTypes.EffectiveDate)(e) ?? actDate) is { } day)
                {
                    metadata.EffectiveTime = day.ToEffectiveTime();
                }

                events.Add(NewEvent.From(e, metadata, EventId(i)));
            }

            span?.SetTag("csto.attempt", attempt);
            AppendResult result;
            try
            {
                result = await store.AppendAsync(new AppendRequest(command.Stream, version, events, context.Inbox), cancellationToken).ConfigureAwait(false);
            }
            catch (WrongExpectedVersionException) when (attempt < MaxAttempts)
            {
                continue; // another write got there first: load and decide again on the new state
            }
            catch (InvalidAppendException ex) when (context.Inbox is null && ex.Field == "event_id")
            {
                throw new InvalidFieldException("request_id", "request_id was already used for another request: " + ex.Message);
            }

            if (result.Outcome == AppendOutcome.DuplicateInbox)
            {
                return new Written<TState>(state, records, [], [], Retried: true);
            }

            // the state after the write: what was read, continued with what was appended after it (this write's events,
            // and any another writer appended since)
            var added = await store.ReadStreamAsync(command.Stream, version + 1, cancellationToken).ConfigureAwait(false);
            var after = command.FoldFrom is null ? command.Fold([.. records, .. added]) : Folded.Continue(command, state, version, added);
            return new Written<TState>(after, [.. records, .. added], [.. events.Select(e => e.EventId)], verdict.Events, result.Outcome == AppendOutcome.AlreadyAppended);
        }
    }

    /// <summary>
    /// The stream as the write needs it: its version, its state, and the records of an earlier call with the same key
    /// (a retry). A long stream whose state was held after an earlier write (<see cref="FoldedStates"/>) is read only
    /// from that state on: one lookup of the retry's first event id (a retry of a write older than the held state is read
    /// whole, as is a stream whose held record is no longer where it was), then the records after the held ones.
    /// </summary>
    async Task<(IReadOnlyList<EventRecord> Records, long Version, TState State, List<EventRecord> Earlier)> LoadAsync<TState>(
        Command<TState> command, WriteContext context, Func<int, string> eventId, CancellationToken cancellationToken)
    {
        if (Folded.TryGet(command, out var held)
            && !(context.Derived && await store.FindEventVersionAsync(command.Stream, eventId(0), cancellationToken).ConfigureAwait(false) is > 0 and var at && at <= held.Count))
        {
            var tail = await store.ReadStreamAsync(command.Stream, held.Count, cancellationToken).ConfigureAwait(false);
            if (tail.Count > 0 && tail[0].StreamVersion == held.Count && string.Equals(tail[0].EventId, held.LastEventId, StringComparison.Ordinal))
            {
                IReadOnlyList<EventRecord> added = [.. tail.Skip(1)];
                var state = Folded.Continue(command, held.State, held.Count, added);
                return (added, held.Count + added.Count, state, context.Derived ? Earlier(added, eventId) : []);
            }
        }

        var records = await store.ReadStreamAsync(command.Stream, 1, cancellationToken).ConfigureAwait(false);
        return (records, records.Count, Folded.Fold(command, records), context.Derived ? Earlier(records, eventId) : []);
    }

    /// <summary>The metadata of an event caused by another service's event: same correlation and trace, causation = its id.</summary>
    public static EventMetadata CausedBy(EventRecord incoming, string consumer)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        return new EventMetadata
        {
            CorrelationId = incoming.Metadata?.CorrelationId ?? "",
            CausationId = incoming.EventId,
            Traceparent = incoming.Metadata?.Traceparent ?? "",
            Tracestate = incoming.Metadata?.Tracestate ?? "",
            Actor = new Actor { Subject = "consumer:" + consumer, Role = "system" },
            // the fact recorded here is the other service's fact seen from this one: same source, same basis
            Provenance = incoming.Metadata?.Provenance?.Clone(),
        };
    }

    public static string SourceId(EventRecord incoming)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        return $"{incoming.SourceService}/{incoming.EventId}";
    }

    EventMetadata ApiMetadata(string requestId)
    {
        var context = http.HttpContext;
        var user = context?.User;
        var correlation = context?.Request.Headers["x-correlation-id"].ToString();
        var activity = Activity.Current;
        return new EventMetadata
        {
            CorrelationId = !string.IsNullOrEmpty(correlation) ? correlation : requestId.Length > 0 ? requestId : Guid.NewGuid().ToString(),
            CausationId = requestId.Length > 0 ? "request:" + requestId : "",
            Actor = user is { Identity.IsAuthenticated: true } ? Actors.Of(user) : throw new InvalidOperationException("an API write without an authenticated caller"),
            // the server's activity continues the caller's W3C trace context (traceparent header) when there is one
            Traceparent = activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id ?? "" : context?.Request.Headers["traceparent"].ToString() ?? "",
            Tracestate = activity?.TraceStateString ?? context?.Request.Headers["tracestate"].ToString() ?? "",
            // the request's provenance field, checked and handed over by Api.ProvenanceInterceptor
            Provenance = context?.Items[Api.ProvenanceInterceptor.ItemKey] as Csto.Common.V1.Provenance,
        };
    }

    Task MarkProcessedAsync(InboxEntry inbox, CancellationToken cancellationToken) =>
        store.AppendAsync(new AppendRequest("$inbox-" + inbox.Consumer, ExpectedVersion.Any, [], inbox), cancellationToken);

    /// <summary>The records this key's first call appended (consecutive, from the first derived id), or none.</summary>
    static List<EventRecord> Earlier(IReadOnlyList<EventRecord> records, Func<int, string> eventId)
    {
        var found = new List<EventRecord>();
        var first = eventId(0);
        var start = -1;
        for (var i = 0; i < records.Count && start < 0; i++)
        {
            start = string.Equals(records[i].EventId, first, StringComparison.Ordinal) ? i : -1;
        }

        for (var i = start; start >= 0 && i < records.Count && string.Equals(records[i].EventId, eventId(i - start), StringComparison.Ordinal); i++)
        {
            found.Add(records[i]);
        }

        return found;
    }
}

/// <summary>The entity a command needs does not exist: gRPC NOT_FOUND naming the resource.</summary>
public sealed class NotFoundException(string resource, string description) : Exception(description)
{
    public string Resource { get; } = resource;
}

/// <summary>A create command names an entity that exists already and is not a retry: gRPC ALREADY_EXISTS.</summary>
public sealed class AlreadyExistsException(string resource) : Exception($"{resource} exists already; a retry must repeat the request_id")
{
    public string Resource { get; } = resource;
}
