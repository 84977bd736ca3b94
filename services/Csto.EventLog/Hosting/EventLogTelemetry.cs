using System.Diagnostics;
using System.Diagnostics.Metrics;
using Csto.EventLog.V1;

namespace Csto.EventLog.Hosting;

/// <summary>
/// The suite's own traces and metrics: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named
/// <c>Csto.EventLog</c>. A write's span (<c>csto.append</c>) is the parent stored in each event's metadata
/// (<c>traceparent</c>); the relay's <c>csto.publish</c> and a consumer's <c>csto.consume</c> continue that stored context,
/// so one trace runs from a gRPC call through the append, the broker and the consumer's append in another service.
/// Every measurement carries the tag <c>service</c>. Nothing here allocates per event beyond the span itself, and
/// nothing at all when no listener is attached.
/// </summary>
public static class EventLogTelemetry
{
    public const string Name = "Csto.EventLog";

    /// <summary>Span names: low cardinality; the stream, type and event id are tags.</summary>
    public const string AppendSpan = "csto.append";
    public const string PublishSpan = "csto.publish";
    public const string ConsumeSpan = "csto.consume";

    /// <summary>Tags on spans and measurements.</summary>
    public const string ServiceTag = "service";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    static readonly Counter<long> Appends = Meter.CreateCounter<long>("csto.eventlog.appends", "{append}", "Appends committed to the log (one per caller; an inbox mark without events counts)");
    static readonly Counter<long> EventsAppended = Meter.CreateCounter<long>("csto.eventlog.events_appended", "{event}", "Events committed to the log");
    static readonly Histogram<int> CommitBatchSize = Meter.CreateHistogram<int>("csto.eventlog.commit.batch_size", "{item}", "Work items (appends, projection and checkpoint writes) committed in one group commit",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });
    static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("csto.eventlog.commit.duration", "s", "Time of one group commit, from its first statement to the durable commit",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
    static readonly Histogram<double> ConfirmDuration = Meter.CreateHistogram<double>("csto.eventlog.relay.confirm.duration", "s", "Time from the relay's send of an event to the broker's publisher confirm",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    static readonly Counter<long> Published = Meter.CreateCounter<long>("csto.eventlog.relay.published", "{event}", "Events the relay had confirmed by the broker");
    static readonly Counter<long> Deliveries = Meter.CreateCounter<long>("csto.eventlog.inbox.deliveries", "{delivery}", "Events delivered to this service's consumer, by outcome: applied, duplicate, ignored (refused by a rule), parked (moved to the error queue)");

    /// <summary>Inbox outcomes (the tag <c>outcome</c>).</summary>
    public const string Applied = "applied";
    public const string Duplicate = "duplicate";
    public const string Ignored = "ignored";
    public const string Parked = "parked";

    static readonly List<ObservedLog> Logs = [];

    static EventLogTelemetry()
    {
        Meter.CreateObservableGauge("csto.eventlog.head", () => Observe(l => l.Store.HeadPosition), "{position}", "Position of the last committed event");
        Meter.CreateObservableGauge("csto.eventlog.relay.lag", () => Observe(l => Math.Max(0, l.Store.HeadPosition - l.Relay.Checkpoint)), "{event}", "Events committed but not yet confirmed by the broker");
        Meter.CreateObservableGauge("csto.eventlog.relay.lag_time", () => Observe(l => l.Relay.LagSeconds), "s", "Age of the oldest event not yet confirmed by the broker (0 when the relay is at the head)");
        Meter.CreateObservableGauge("csto.eventlog.projection.lag", ObserveProjections, "{event}", "Events committed but not yet applied to a projection (tag projection)");
        Meter.CreateObservableGauge("csto.eventlog.error_queue.depth", () => Observe(l => l.Errors.LastDepth), "{message}", "Messages in this service's error queue (csto.<service>_error), as last read from the broker");
        Meter.CreateObservableGauge("csto.eventlog.writer.queue_length", () => Observe(l => (long)l.Store.PendingWrites), "{item}", "Work items waiting for the log's single writer");
    }

    /// <summary>What a running host lets the gauges read; registered while the host runs (tests run several in one process).</summary>
    internal sealed record ObservedLog(IEventStore Store, Relay.EventRelay Relay, Projections.ProjectionRunner Projections, Inbox.ErrorQueue Errors)
    {
        public KeyValuePair<string, object?> Tag { get; } = new(ServiceTag, Store.ServiceName);
    }

    internal static void Register(ObservedLog log)
    {
        lock (Logs)
        {
            Logs.Add(log);
        }
    }

    internal static void Unregister(ObservedLog log)
    {
        lock (Logs)
        {
            Logs.Remove(log);
        }
    }

    static List<Measurement<T>> Observe<T>(Func<ObservedLog, T> read)
        where T : struct
    {
        lock (Logs)
        {
            return [.. Logs.Select(l => new Measurement<T>(read(l), l.Tag))];
        }
    }

    static List<Measurement<long>> ObserveProjections()
    {
        lock (Logs)
        {
            var measurements = new List<Measurement<long>>();
            foreach (var log in Logs)
            {
                var head = log.Store.HeadPosition;
                foreach (var p in log.Projections.Info())
                {
                    measurements.Add(new Measurement<long>(Math.Max(0, head - p.Checkpoint), log.Tag, new KeyValuePair<string, object?>("projection", p.Name)));
                }
            }

            return measurements;
        }
    }

    /// <summary>One group commit that reached the disk: its items, the appends and events among them, and how long it took.</summary>
    public static void Committed(string service, int items, int appends, long events, long startedTimestamp)
    {
        var tag = new KeyValuePair<string, object?>(ServiceTag, service);
        CommitBatchSize.Record(items, tag);
        CommitDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, tag);
        if (appends > 0)
        {
            Appends.Add(appends, tag);
        }

        if (events > 0)
        {
            EventsAppended.Add(events, tag);
        }
    }

    /// <summary>The broker confirmed an event the relay sent at <paramref name="sentTimestamp"/>.</summary>
    public static void Confirmed(string service, long sentTimestamp)
    {
        var tag = new KeyValuePair<string, object?>(ServiceTag, service);
        ConfirmDuration.Record(Stopwatch.GetElapsedTime(sentTimestamp).TotalSeconds, tag);
        Published.Add(1, tag);
    }

    /// <summary>An incoming event's outcome in this service's inbox (<see cref="Applied"/>, <see cref="Duplicate"/>, <see cref="Ignored"/>, <see cref="Parked"/>).</summary>
    public static void Delivered(string service, string outcome) =>
        Deliveries.Add(1, new KeyValuePair<string, object?>(ServiceTag, service), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>The span of one write (load, decide, append; retried on a conflict): a child of the call or of the consumed event.</summary>
    public static Activity? StartAppend(string service, string streamId, string? traceparent = null)
    {
        // outside any span (a consumer's write called directly, a timer) the write continues the trace it was handed
        var activity = Activity.Current is null && ActivityContext.TryParse(traceparent, null, out var parent)
            ? Source.StartActivity(AppendSpan, ActivityKind.Internal, parent)
            : Source.StartActivity(AppendSpan, ActivityKind.Internal);
        activity?.SetTag(ServiceTag, service).SetTag("csto.stream_id", streamId);
        return activity;
    }

    /// <summary>
    /// The relay's span for one event, a child of the context stored in the event (<c>metadata.traceparent</c>); null when
    /// the event carries none (reference data written at start) or nobody listens. The relay's send (its own channel) happens inside it.
    /// </summary>
    public static Activity? StartPublish(string service, EventRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!Source.HasListeners() || !TryParent(record, out var parent))
        {
            return null;
        }

        var activity = Source.StartActivity(PublishSpan, ActivityKind.Producer, parent);
        activity?.SetTag(ServiceTag, service).SetTag("messaging.system", "rabbitmq").SetTag("messaging.destination.name", record.Type)
            .SetTag("csto.event_id", record.EventId).SetTag("csto.position", record.Position);
        return activity;
    }

    /// <summary>
    /// A consumer's span for an incoming event, in the event's trace: a child of the broker's receive span when MassTransit
    /// started one in that trace, else of the context stored in the event. Null when the event carries no trace context.
    /// </summary>
    public static Activity? StartConsume(string service, EventRecord incoming)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        if (!Source.HasListeners() || !TryParent(incoming, out var parent))
        {
            return null;
        }

        if (Activity.Current is { } current && current.TraceId == parent.TraceId)
        {
            parent = current.Context; // the broker hop (MassTransit's receive/process spans) sits between the two services
        }

        var activity = Source.StartActivity(ConsumeSpan, ActivityKind.Consumer, parent);
        activity?.SetTag(ServiceTag, service).SetTag("messaging.system", "rabbitmq").SetTag("messaging.destination.name", incoming.Type)
            .SetTag("csto.event_id", incoming.EventId).SetTag("csto.source", incoming.SourceService);
        return activity;
    }

    /// <summary>Marks a span failed with the exception's message.</summary>
    public static void Fail(Activity? activity, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
    }

    static bool TryParent(EventRecord record, out ActivityContext parent)
    {
        parent = default;
        var traceparent = record.Metadata?.Traceparent;
        return !string.IsNullOrEmpty(traceparent)
            && ActivityContext.TryParse(traceparent, record.Metadata!.Tracestate is { Length: > 0 } state ? state : null, isRemote: true, out parent);
    }
}
