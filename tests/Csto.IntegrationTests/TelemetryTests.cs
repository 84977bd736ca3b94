using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Hosting;
using Csto.EventLog.Roster;
using Csto.Membership.V1;
using Csto.Operations.V1;
using Csto.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Csto.IntegrationTests;

/// <summary>What an operator sees of a running suite: one trace per decision across the services and the broker, and the metrics on /metrics.</summary>
public sealed partial class TelemetryTests(RabbitMqFixture broker) : IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task An_adopted_decision_is_one_trace_from_the_bodies_call_through_the_broker_to_the_operations_append()
    {
        var spans = new List<Activity>();
        // activity listeners are process-wide: this provider sees the spans of the three in-process hosts
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(EventLogTelemetry.Name, "MassTransit")
            .AddAspNetCoreInstrumentation()
            .AddInMemoryExporter(spans)
            .Build();
        await using var suite = await ThreeServices.StartAsync(broker);
        await suite.SixMembersAsync();
        await suite.AdoptAsync("trace-2028", new DateOnly(2028, 1, 15), new DecisionPayload
        {
            AuthorizeOperation = new AuthorizeOperation { Name = "Trace", Kind = OperationKind.AntiDrug, StartDate = Date.From(new(2028, 2, 1)), EndDate = Date.From(new(2030, 12, 31)) },
        });

        var adopted = (await EventsAsync(suite.Bodies, "csto.bodies.v1.DecisionAdopted")).Single();
        var traceId = ActivityContext.Parse(adopted.Metadata.Traceparent, null).TraceId;
        var opened = await WaitForAsync(async () => (await EventsAsync(suite.Operations, "csto.operations.v1.OperationOpened")).SingleOrDefault(), "the operation opened in operations");
        // the trace id is in the metadata of the event the decision caused in the other service
        Assert.Equal(traceId, ActivityContext.Parse(opened.Metadata.Traceparent, null).TraceId);

        List<Activity> trace = [];
        await Eventually.UntilAsync(() =>
        {
            lock (spans)
            {
                trace = [.. spans.Where(s => s.TraceId == traceId)];
            }

            return Task.FromResult(trace.Any(s => Is(s, EventLogTelemetry.AppendSpan, "operations")) && trace.Any(s => Is(s, EventLogTelemetry.PublishSpan, "bodies")));
        }, TimeSpan.FromSeconds(30), "the spans of the decision's trace in bodies and operations");

        var call = Assert.Single(trace, s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("CloseDraft", StringComparison.Ordinal));
        var append = Assert.Single(trace, s => Is(s, EventLogTelemetry.AppendSpan, "bodies") && s.ParentSpanId == call.SpanId);
        // the stored traceparent is the append's span, and the relay's publish continues it
        Assert.Equal(append.Id, adopted.Metadata.Traceparent);
        var publish = Assert.Single(trace, s => Is(s, EventLogTelemetry.PublishSpan, "bodies") && s.GetTagItem("csto.event_id") as string == adopted.EventId);
        Assert.Equal(append.SpanId, publish.ParentSpanId);
        Assert.Equal(ActivityKind.Producer, publish.Kind);
        // the broker hop: the relay publishes with its own channel (the producer span is csto.publish, above) and the
        // message carries the stored context in its traceparent header; operations' consume continues the trace from it
        // (MassTransit's receive span reads only its own MT-Activity-Id header, which the wire does not carry)
        var consume = Assert.Single(trace, s => Is(s, EventLogTelemetry.ConsumeSpan, "operations"));
        Assert.Equal(ActivityKind.Consumer, consume.Kind);
        Assert.Equal(append.SpanId, consume.ParentSpanId);
        Assert.Equal("applied", consume.GetTagItem("csto.outcome"));
        Assert.Contains(trace, s => Is(s, EventLogTelemetry.AppendSpan, "operations") && s.ParentSpanId == consume.SpanId);
    }

    [Fact]
    public async Task Metrics_are_scraped_over_plain_http_without_a_token_on_the_grpc_port_after_a_write()
    {
        await using var suite = await ThreeServices.StartAsync(broker);
        var membership = new MembershipService.MembershipServiceClient(suite.Membership.Channel);
        await membership.RecordSignatureAsync(new RecordSignatureRequest { State = "KAZ", EffectiveDate = Date.From(new(1992, 5, 15)), Cause = new Cause { TreatyAct = "Collective Security Treaty, Tashkent" } });
        var roster = suite.Bodies.Services.GetRequiredService<RosterQueries>();
        await Eventually.UntilAsync(async () => (await roster.LoadAsync(CancellationToken.None)).On(new(1993, 1, 1)).Any(), TimeSpan.FromSeconds(60), "the signature in the bodies roster");

        using var http = new HttpClient(); // HTTP/1.1, what Prometheus and curl speak
        string text = "";
        await Eventually.UntilAsync(async () =>
        {
            text = await ScrapeAsync(http, suite.Membership.Address);
            return Value(text, "csto_eventlog_relay_lag", "membership") == 0 && Value(text, "csto_eventlog_relay_published_total", "membership") >= 1;
        }, TimeSpan.FromSeconds(30), "the relay of membership at the head in /metrics");

        Assert.True(Value(text, "csto_eventlog_appends_total", "membership") >= 1);
        Assert.True(Value(text, "csto_eventlog_events_appended_total", "membership") >= 1);
        Assert.True(Value(text, "csto_eventlog_head", "membership") >= 1);
        Assert.True(Value(text, "csto_eventlog_commit_batch_size_count", "membership") >= 1);
        Assert.True(Value(text, "csto_eventlog_commit_duration_seconds_count", "membership") >= 1);
        Assert.True(Value(text, "csto_eventlog_relay_confirm_duration_seconds_count", "membership") >= 1);
        Assert.Equal(0, Value(text, "csto_eventlog_relay_lag_time_seconds", "membership"));
        Assert.Equal(0, Value(text, "csto_eventlog_writer_queue_length", "membership"));
        Assert.Equal(0, Value(text, "csto_eventlog_error_queue_depth", "membership"));
        Assert.NotNull(Value(text, "csto_eventlog_projection_lag", "membership"));
        // the view that caps each stream's points keeps the buckets the instruments advise
        Assert.Contains("csto_eventlog_commit_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Matches("csto_eventlog_commit_duration_seconds_bucket\\{[^}]*le=\"0.0005\"", text);
        Assert.Matches("csto_eventlog_commit_batch_size_bucket\\{[^}]*le=\"1024\"", text);
        Assert.Contains("\nkestrel_active_connections", text, StringComparison.Ordinal);
        Assert.Contains("\ndotnet_gc_collections_total", text, StringComparison.Ordinal);

        // the consumer's side: bodies applied the status change
        await Eventually.UntilAsync(async () => Value(await ScrapeAsync(http, suite.Bodies.Address), "csto_eventlog_inbox_deliveries_total", "bodies", "outcome=\"applied\"") >= 1,
            TimeSpan.FromSeconds(30), "bodies' inbox outcome applied in /metrics");

        // nothing else opens without a token: a gRPC method over HTTP/1.1 is refused, and gRPC still works on the port
        using var other = await http.PostAsync(new Uri(suite.Membership.Address + "/csto.membership.v1.MembershipService/GetMemberState"), new ByteArrayContent([0, 0, 0, 0, 0]) { Headers = { { "Content-Type", "application/grpc" } } });
        var grpcStatus = other.Headers.TryGetValues("grpc-status", out var values) ? values.Single() : null;
        Assert.True(other.StatusCode != HttpStatusCode.OK || grpcStatus is not (null or "0"), $"HTTP {(int)other.StatusCode}, grpc-status {grpcStatus}");
        Assert.Empty(await other.Content.ReadAsByteArrayAsync());
        var anonymous = new MembershipService.MembershipServiceClient(suite.Membership.Anonymous);
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await anonymous.GetMemberStateAsync(new GetMemberStateRequest { State = "KAZ" }));
        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, refused.StatusCode);
    }

    static async Task<string> ScrapeAsync(HttpClient http, string address)
    {
        using var response = await http.GetAsync(new Uri(address + "/metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(1, 1), response.Version);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The value of the series <paramref name="name"/> of <paramref name="service"/> (and <paramref name="label"/>), or null.</summary>
    static double? Value(string text, string name, string service, string? label = null)
    {
        foreach (Match m in SeriesLine().Matches(text))
        {
            var labels = m.Groups["labels"].Value;
            if (m.Groups["name"].Value == name && labels.Contains($"service=\"{service}\"", StringComparison.Ordinal) && (label is null || labels.Contains(label, StringComparison.Ordinal)))
            {
                return double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)\{(?<labels>[^}]*)\} (?<value>[-+0-9.eE]+|NaN)", RegexOptions.Multiline)]
    private static partial Regex SeriesLine();

    static bool Is(Activity span, string name, string service) =>
        span.OperationName == name && span.GetTagItem(EventLogTelemetry.ServiceTag) as string == service;

    static async Task<List<Csto.EventLog.V1.EventRecord>> EventsAsync(ServiceHost host, string type)
    {
        var store = host.Services.GetRequiredService<IEventStore>();
        return [.. (await store.ReadAllAsync(1, long.MaxValue, ReadFilter.All, 100_000)).Records.Where(r => r.Type == type)];
    }

    static async Task<T> WaitForAsync<T>(Func<Task<T?>> find, string what)
        where T : class
    {
        T? found = null;
        await Eventually.UntilAsync(async () => (found = await find()) is not null, TimeSpan.FromSeconds(60), what);
        return found!;
    }
}
