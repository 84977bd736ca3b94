using System.Buffers;
using System.IO.Pipelines;
using Csto.EventLog.Inbox;
using Csto.EventLog.Projections;
using Csto.EventLog.Relay;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Csto.EventLog.Hosting;

/// <summary>
/// OpenTelemetry for every service, once: traces of the suite's own source (<see cref="EventLogTelemetry"/>), MassTransit's,
/// ASP.NET Core's (the gRPC server) and Npgsql's; metrics of the suite's meter, MassTransit's, ASP.NET Core's and the
/// runtime's. Nothing leaves the process unless the standard <c>OTEL_EXPORTER_OTLP_*</c> variables name a collector;
/// Prometheus scrapes <c>/metrics</c> on the service's own port (anonymous, read-only).
/// </summary>
public static class TelemetryHosting
{
    /// <summary>The scrape endpoint's path.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Whether the standard variables name an OTLP collector (for all signals, or for traces or metrics alone).</summary>
    public static bool OtlpConfigured(IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT" }
            .Any(key => !string.IsNullOrWhiteSpace(config[key]));
    }

    /// <summary>The points each metric stream keeps (label combinations), allocated when the stream is created.</summary>
    public const int MetricPointsPerStream = 500;

    internal static void AddTelemetry(IHostApplicationBuilder builder, EventLogOptions options, bool postgres)
    {
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("csto-" + options.ServiceName, serviceNamespace: "csto", serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithTracing(t =>
            {
                // no gRPC client instrumentation: the services call no gRPC service (only cstoctl does), and a listener for it
                // would start client spans in any process hosting a service, replacing the traceparent its callers send
                t.AddSource(EventLogTelemetry.Name, "MassTransit")
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments(MetricsPath, StringComparison.Ordinal));
                if (postgres)
                {
                    t.AddNpgsql();
                }
            })
            .WithMetrics(m =>
            {
                // every metric stream allocates its points up front (2,000 by default: 12 MB for the 85 streams of a
                // service, in every heap dump). Ours have at most a few hundred label combinations (methods, event types,
                // outcomes); a combination beyond the limit is counted in the stream's overflow point, not lost.
                m.AddView(_ => new MetricStreamConfiguration { CardinalityLimit = MetricPointsPerStream })
                    .AddMeter(EventLogTelemetry.Name, "MassTransit")
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter();
                if (postgres)
                {
                    m.AddNpgsqlInstrumentation();
                }
            });
        if (OtlpConfigured(builder.Configuration))
        {
            // endpoint, protocol, headers, timeouts: OTEL_EXPORTER_OTLP_* as the specification names them; logs go too
            otel.UseOtlpExporter();
        }

        builder.Services.AddHostedService<EventLogMonitor>();
    }

    /// <summary>Maps <c>/metrics</c> (Prometheus text format), without a token: it shows counts and lags, never data.</summary>
    public static IEndpointRouteBuilder MapTelemetry(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous();
        return app;
    }

    /// <summary>
    /// Endpoints speak HTTP/2 (gRPC: h2c with prior knowledge on plain endpoints, ALPN with TLS) and, on the same plain port,
    /// HTTP/1.1 for a scraper or <c>curl</c>. Kestrel cannot tell the two apart on a cleartext endpoint that allows both (there
    /// is no ALPN; it would always pick HTTP/1.1), so the endpoint stays HTTP/2 and <see cref="SelectCleartextProtocol"/>
    /// reads a connection's first bytes: a request line (an upper-case method) that is not the HTTP/2 preface is served as
    /// HTTP/1.1. A TLS handshake (first byte 0x16) and the preface are left to HTTP/2.
    /// </summary>
    internal static void ConfigureProtocols(ListenOptions listen)
    {
        listen.Protocols = HttpProtocols.Http2;
        if (ProtocolsFeature is not null)
        {
            listen.Use(next => connection => SelectCleartextProtocol(connection, listen, next));
        }
    }

    static readonly byte[] Http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    /// <summary>Kestrel's per-connection protocol choice (internal; the one TLS endpoints use for SNI-selected protocols). Without it: HTTP/2 only.</summary>
    static readonly Type? ProtocolsFeature = typeof(KestrelServerOptions).Assembly.GetType("Microsoft.AspNetCore.Server.Kestrel.Core.Internal.HttpProtocolsFeature");

    static async Task SelectCleartextProtocol(ConnectionContext connection, ListenOptions listen, ConnectionDelegate next)
    {
        if (ProtocolsFeature is not null && listen.Protocols == HttpProtocols.Http2 && connection.Features.Get<ITlsConnectionFeature>() is null
            && await IsHttp1RequestAsync(connection.Transport.Input, connection.ConnectionClosed).ConfigureAwait(false))
        {
            connection.Features[ProtocolsFeature] = Activator.CreateInstance(ProtocolsFeature, HttpProtocols.Http1);
        }

        await next(connection).ConfigureAwait(false);
    }

    /// <summary>Reads (without consuming) until the bytes received either are the HTTP/2 preface or differ from it; true for an HTTP/1 request line.</summary>
    static async Task<bool> IsHttp1RequestAsync(PipeReader input, CancellationToken closed)
    {
        long examined = 0;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(closed).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            var buffer = result.Buffer;
            var length = (int)Math.Min(buffer.Length, Http2Preface.Length);
            var likePreface = BeginsLikePreface(buffer, length);
            if (!likePreface || length == Http2Preface.Length || result.IsCompleted || result.IsCanceled)
            {
                // nothing consumed; what was seen before stays examined (the pipe does not let it go back), the rest is new
                input.AdvanceTo(buffer.Start, buffer.GetPosition(examined));
                return !likePreface && buffer.FirstSpan[0] is >= (byte)'A' and <= (byte)'Z';
            }

            examined = buffer.Length;
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    static bool BeginsLikePreface(in ReadOnlySequence<byte> buffer, int length)
    {
        Span<byte> head = stackalloc byte[Http2Preface.Length];
        buffer.Slice(0, length).CopyTo(head);
        return head[..length].SequenceEqual(Http2Preface.AsSpan(0, length));
    }
}

/// <summary>
/// Lets the gauges of <see cref="EventLogTelemetry"/> read this host's log, relay, projections and error queue while it runs;
/// refreshes the error queue's depth from the broker every 10 s; and logs when the log's writer starts and stops failing.
/// </summary>
public sealed partial class EventLogMonitor(IEventStore store, EventRelay relay, ProjectionRunner projections, ErrorQueue errors, ILogger<EventLogMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var observed = new EventLogTelemetry.ObservedLog(store, relay, projections, errors);
        EventLogTelemetry.Register(observed);
        try
        {
            string? lastError = null;
            var nextDepth = DateTime.UtcNow;
            while (!stoppingToken.IsCancellationRequested)
            {
                var error = store.WriteError;
                if (!string.Equals(error, lastError, StringComparison.Ordinal))
                {
                    if (error is null)
                    {
                        LogWriterRecovered(store.ServiceName, store.HeadPosition);
                    }
                    else
                    {
                        LogWriterFailing(store.ServiceName, error);
                    }

                    lastError = error;
                }

                if (DateTime.UtcNow >= nextDepth)
                {
                    nextDepth = DateTime.UtcNow.AddSeconds(10);
                    try
                    {
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                        timeout.CancelAfter(TimeSpan.FromSeconds(5));
                        await errors.InfoAsync(timeout.Token).ConfigureAwait(false);
                    }
#pragma warning disable CA1031 // an unreachable broker is reported by health and the relay; the gauge keeps its last value
                    catch (Exception) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
                    {
                    }
                }

                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
        finally
        {
            EventLogTelemetry.Unregister(observed);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "the log of {Service} cannot write: {Error}")]
    partial void LogWriterFailing(string service, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "the log of {Service} writes again, head {Head}")]
    partial void LogWriterRecovered(string service, long head);
}
