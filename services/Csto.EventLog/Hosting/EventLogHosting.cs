using Csto.EventLog.Api;
using Csto.EventLog.Inbox;
using Csto.EventLog.Projections;
using Csto.EventLog.Relay;
using Csto.EventLog.Security;
using Csto.EventLog.V1;
using Csto.EventLog.Wire;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Csto.EventLog.Hosting;

public sealed class EventLogOptions
{
    /// <summary>"membership", "bodies", "operations": names the log, the queue and the source header.</summary>
    public string ServiceName { get; set; } = "";

    /// <summary>The SQLite file of the log. Default: <c>$CSTO_DATA/&lt;service&gt;.db</c>, else <c>.data/&lt;service&gt;.db</c>.</summary>
    public string DatabasePath { get; set; } = "";

    /// <summary>
    /// amqp://user:password@host:port/vhost of this service's own broker user, or the URLs of a cluster's nodes separated by
    /// commas (<see cref="BrokerAddresses"/>). Configuration key <c>EventLog:RabbitMqUrl</c> or <c>CSTO_RABBITMQ_URL</c>;
    /// required (there is no default password: <c>deploy/rabbitmq.sh url &lt;service&gt;</c> prints it, and
    /// <c>deploy/rabbitmq.sh cluster url &lt;service&gt;</c> the list).
    /// </summary>
    public string RabbitMqUrl { get; set; } = "";

    /// <summary><see cref="RabbitMqUrl"/> parsed and checked at start.</summary>
    public BrokerAddresses Broker { get; private set; } = null!;

    /// <summary>
    /// The most incoming messages the consumer applies at once (<c>EventLog:ConsumerConcurrency</c>). Default: with PostgreSQL,
    /// half the instance's connections for reads (8 of a pool of 20), so that the connections it takes do not depend on how
    /// many messages the broker holds for it; with SQLite, the prefetch (64).
    /// </summary>
    public int ConsumerConcurrency { get; set; }

    /// <summary>The type of the consumers' and error queues (<c>EventLog:QueueType</c>: classic, the default, or quorum on a cluster).</summary>
    public QueueType QueueType { get; set; }

    internal void Validate() => Broker = BrokerAddresses.Parse(RabbitMqUrl);

    /// <summary>
    /// The broker user that publishes each service's events (<c>EventLog:Publishers:&lt;service&gt;</c>); a consumer applies an
    /// event only when the AMQP user_id is that user. Unset: csto-&lt;service&gt; when this service's own user is csto-&lt;service&gt;.
    /// </summary>
    public Dictionary<string, string> Publishers { get; } = new(StringComparer.Ordinal);
}

public static class EventLogHosting
{
    /// <summary>The messages the broker sends a consumer ahead of their acknowledgement.</summary>
    const int Prefetch = 64;

    /// <summary>
    /// Everything a service needs from the log: the store, the relay to RabbitMQ, the inbox consumer,
    /// projections, the replay API, gRPC reflection and health. Register IEventHandler and IProjection
    /// implementations beside it.
    /// </summary>
    public static EventLogOptions AddEventLog(this IHostApplicationBuilder builder, string serviceName, Action<EventLogOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var config = builder.Configuration;
        var dataDir = config["CSTO_DATA"] is { Length: > 0 } data ? data : ".data";
        var options = new EventLogOptions
        {
            ServiceName = serviceName,
            DatabasePath = config["EventLog:DatabasePath"] is { Length: > 0 } path ? path : Path.Combine(dataDir, serviceName + ".db"),
            RabbitMqUrl = config["EventLog:RabbitMqUrl"] is { Length: > 0 } url ? url : config["CSTO_RABBITMQ_URL"] ?? "",
            QueueType = QueueTypes.Parse(config[QueueTypes.Setting]),
            ConsumerConcurrency = config["EventLog:ConsumerConcurrency"] is not { Length: > 0 } concurrency ? 0
                : int.TryParse(concurrency, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= Prefetch ? n
                : throw new InvalidOperationException($"EventLog:ConsumerConcurrency '{concurrency}' must be a whole number from 1 to {Prefetch} (the messages the consumer applies at once)"),
        };
        foreach (var publisher in config.GetSection("EventLog:Publishers").GetChildren())
        {
            options.Publishers[publisher.Key] = publisher.Value ?? "";
        }

        configure?.Invoke(options);
        if (string.IsNullOrWhiteSpace(options.RabbitMqUrl))
        {
            throw new InvalidOperationException("EventLog:RabbitMqUrl (or CSTO_RABBITMQ_URL) is required: amqp://user:password@host:port/vhost of this service's broker user (deploy/rabbitmq.sh url " + serviceName + ")");
        }

        options.Validate();

        var services = builder.Services;
        services.AddSingleton(options);
        // the console formatter is configured (Logging:Console:FormatterName, json in appsettings.json); CSTO_LOG_FORMAT, which
        // the deploy scripts set, still chooses it
        if (config["CSTO_LOG_FORMAT"] is { Length: > 0 } format)
        {
            var formatter = format.Trim().ToLowerInvariant() switch
            {
                "json" => "json",
                "simple" or "text" => "simple",
                "systemd" => "systemd",
                _ => throw new InvalidOperationException($"CSTO_LOG_FORMAT '{format}' is unknown: json, simple or systemd (or set Logging:Console:FormatterName)"),
            };
            builder.Configuration.AddInMemoryCollection([new("Logging:Console:FormatterName", formatter)]);
        }

        var postgres = AddStore(services, config, options);
        TelemetryHosting.AddTelemetry(builder, options, postgres);
        services.AddSingleton<EventPublisher>();
        services.AddSingleton<BrokerChannel>();
        services.AddSingleton<TopologyDeclarer>();
        services.AddSingleton<ErrorQueue>();
        services.AddSingleton<OriginCheck>();
        services.Configure<HostOptions>(o =>
        {
            // no background failure stops the service: every loop reports and retries; a SIGTERM ends within 5 s
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore;
            o.ShutdownTimeout = TimeSpan.FromSeconds(4);
        });
        services.AddSingleton<EventRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<EventRelay>());
        services.AddSingleton<IProjection, StreamsProjection>();
        services.AddSingleton<ProjectionRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<ProjectionRunner>());
        services.AddSingleton<EventInbox>();
        services.AddHttpContextAccessor();
        services.AddSingleton<Commands.CommandPath>();

        // every method needs a bearer token and a role in the registered access tables
        SecurityHosting.AddCstoSecurity(services, config, builder.Environment);
        var grpc = services.AddGrpc(o =>
        {
            // order matters: access first, so that a refused call is never validated, let alone appended
            o.Interceptors.Add<AccessInterceptor>();
            o.Interceptors.Add<LimitsInterceptor>();
            o.Interceptors.Add<EventLogErrorInterceptor>();
            o.Interceptors.Add<Api.ProvenanceInterceptor>();
            o.MaxSendMessageSize = 16 * 1024 * 1024;
        });
        services.AddOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>().Configure<Microsoft.Extensions.Options.IOptions<LimitsOptions>>((o, limits) => o.MaxReceiveMessageSize = limits.Value.MaxReceiveMessageBytes);
        HttpJson.Add(services, grpc, serviceName);
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck<EventLogHealthCheck>("eventlog");
        // bytes that are not a request message are INVALID_ARGUMENT naming the body, not UNKNOWN from the handler (after
        // every AddGrpc: reflection and health checks add Grpc.AspNetCore's binder again)
        Api.StrictMethodProviders.Use(services);

        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry(); // a system of record does not report home
            x.AddConsumer<EventRecordConsumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                var broker = options.Broker;
                var (host, port) = broker.Nodes[0];
                cfg.Host(host, (ushort)port, broker.VirtualHost, h =>
                {
                    // the URL names the service's user (checked by BrokerAddresses: no silent fallback to guest)
                    h.Username(broker.User);
                    h.Password(broker.Password);
                    h.PublisherConfirmation = true;
                    h.Heartbeat(TimeSpan.FromSeconds(10));
                    if (broker.Nodes.Count > 1)
                    {
                        // a cluster: (re)connect to any node that answers, not only to the first
                        h.UseCluster(c =>
                        {
                            foreach (var (nodeHost, nodePort) in broker.Nodes)
                            {
                                c.Node(nodeHost + ":" + nodePort.ToString(System.Globalization.CultureInfo.InvariantCulture));
                            }
                        });
                    }
                });
                cfg.AddDeserializer(ProtobufEventSerializer.Instance);
                var handled = context.GetRequiredService<EventInbox>().EventTypes;
                var declared = Topology.ConsumedBy(options.ServiceName);
                if (handled.Except(declared, StringComparer.Ordinal).ToList() is { Count: > 0 } undeclared)
                {
                    throw new InvalidOperationException($"{options.ServiceName} handles {string.Join(", ", undeclared)}, which Topology.Consumers does not name for it: add the row, so that producers declare the queue");
                }

                var types = handled.Count == 0 ? [] : handled.Union(declared, StringComparer.Ordinal).ToList();
                if (types.Count > 0)
                {
                    cfg.ReceiveEndpoint(Topology.QueueOf(options.ServiceName), e =>
                    {
                        e.ConfigureConsumeTopology = false;
                        // no Fault<T> messages: nobody consumes them, and a service may publish only its own events
                        e.PublishFaults = false;
                        e.Durable = true;
                        e.AutoDelete = false;
                        if (options.QueueType == QueueType.Quorum)
                        {
                            // replicated on the cluster's nodes; producers declare it with the same type (TopologyDeclarer)
                            e.SetQuorumQueue();
                        }

                        e.PrefetchCount = Prefetch;
                        e.ConcurrentMessageLimit = options.ConsumerConcurrency > 0 ? options.ConsumerConcurrency : Prefetch;
                        foreach (var type in types)
                        {
                            e.Bind(WireHeaders.ExchangeFor(type), b => b.ExchangeType = "fanout");
                        }

                        // a transient failure (database busy or locked, disk full, the store restarting) is retried until it
                        // succeeds and never parked; a message that can never be applied goes to csto.<service>_error at once
                        e.UseMessageRetry(r =>
                        {
                            r.Exponential(int.MaxValue, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(250));
                            r.Ignore<PoisonMessageException>();
                        });
                        // a message that can never be applied goes to csto.<service>_error through our own channel: MassTransit's
                        // move would keep the publisher's user_id, which the broker refuses from this service's user
                        var errors = context.GetRequiredService<ErrorQueue>();
                        e.ConfigureError(x => x.UseFilter(new ErrorQueueFilter(errors)));
                        e.ConfigureDeadLetter(x => x.UseFilter(new DeadLetterFilter(errors)));
                        e.ConfigureConsumer<EventRecordConsumer>(context);
                    });
                }
            });
        });

        if (builder is WebApplicationBuilder web)
        {
            // gRPC over h2c, and /metrics and HTTP/JSON over HTTP/1.1, on the same plain endpoint (the first bytes of a
            // connection tell which); TLS endpoints negotiate by ALPN.
            web.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(TelemetryHosting.ConfigureProtocols));
        }

        return options;
    }

    /// <summary>
    /// The store named by <c>EventLog:Store</c>: <c>sqlite</c> (default, one file per service) or <c>postgres</c> (several
    /// instances against one database, <c>ConnectionStrings:EventLog</c>). A missing or unknown setting, and a PostgreSQL
    /// that cannot be reached at start, stop the service with a message naming the setting: never a silent SQLite.
    /// </summary>
    static bool AddStore(IServiceCollection services, IConfiguration config, EventLogOptions options)
    {
        var store = config["EventLog:Store"] is { Length: > 0 } name ? name.Trim().ToLowerInvariant() : "sqlite";
        var cached = StreamCacheRecords(config);
        switch (store)
        {
            case "sqlite":
                services.AddSingleton(_ => new SqliteEventStore(options.DatabasePath, options.ServiceName) { Streams = { Capacity = cached } });
                services.AddSingleton<IEventStore>(sp => sp.GetRequiredService<SqliteEventStore>());
                services.AddSingleton<IReadModelStore>(sp => sp.GetRequiredService<SqliteEventStore>());
                return false;
            case "postgres" or "postgresql":
                var connectionString = config.GetConnectionString("EventLog");
                if (string.IsNullOrWhiteSpace(connectionString))
                {
                    throw new InvalidOperationException("EventLog:Store=postgres needs ConnectionStrings:EventLog (env ConnectionStrings__EventLog), e.g. the output of deploy/postgres.sh url");
                }

                if (options.ConsumerConcurrency == 0)
                {
                    options.ConsumerConcurrency = PostgresPool.ConsumerConcurrencyOf(connectionString);
                }

                services.AddSingleton(_ =>
                {
                    var postgres = PostgresEventStore.Open(connectionString, options.ServiceName);
                    postgres.Streams.Capacity = cached;
                    return postgres;
                });
                services.AddSingleton<IEventStore>(sp => sp.GetRequiredService<PostgresEventStore>());
                services.AddSingleton<IReadModelStore>(sp => sp.GetRequiredService<PostgresEventStore>());
                return true;
            default:
                throw new InvalidOperationException($"EventLog:Store '{config["EventLog:Store"]}' is unknown: sqlite (default) or postgres");
        }
    }

    /// <summary><c>EventLog:StreamCacheRecords</c>: the records of recently read streams kept in memory (<see cref="StreamCache"/>); 0 turns it off.</summary>
    static int StreamCacheRecords(IConfiguration config) =>
        config["EventLog:StreamCacheRecords"] is not { Length: > 0 } value ? StreamCache.DefaultCapacity
        : int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
        : throw new InvalidOperationException($"EventLog:StreamCacheRecords '{value}' must be a whole number of records, 0 or more (0 turns the stream cache off; default {StreamCache.DefaultCapacity})");

    /// <summary>Maps the replay API, reflection and health (the last two without a token), and the HTTP/JSON face's OpenAPI document.</summary>
    public static IEndpointRouteBuilder MapEventLog(this IEndpointRouteBuilder app)
    {
        HttpJson.Map(app);
        Api.StrictMethodProviders.EnsureUsed(app.ServiceProvider);
        app.MapGrpcService<EventLogGrpcService>();
        app.MapGrpcService<EncodedStreamEventsService>().Add(endpoint => ((RouteEndpointBuilder)endpoint).Order = EncodedStreamEventsService.RouteOrder);
        app.MapGrpcReflectionService().AllowAnonymous();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        app.MapTelemetry();
        return app;
    }
}

/// <summary>
/// NOT_SERVING while the store cannot read or commit; degraded (reported, still serving) while the broker cannot be
/// reached, the relay has not been confirmed for 30 s with events to send, or the error queue holds messages.
/// </summary>
public sealed class EventLogHealthCheck(IEventStore store, IReadModelStore readModel, EventRelay relay, ErrorQueue errors) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await readModel.PingAsync(timeout.Token).ConfigureAwait(false);
            await store.ProbeWriteAsync(timeout.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // any failure of the store is the answer of the check
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return HealthCheckResult.Unhealthy("the event store cannot write: " + (store.WriteError ?? ex.Message));
        }

        var problems = new List<string>();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            var queue = await errors.InfoAsync(timeout.Token).ConfigureAwait(false);
            if (queue.Depth > 0)
            {
                problems.Add($"{queue.Depth} message(s) in {queue.Queue} (oldest: {queue.OldestReason})");
            }
        }
#pragma warning disable CA1031 // an unreachable broker is reported, the service still answers
        catch (Exception ex)
#pragma warning restore CA1031
        {
            problems.Add("broker unreachable: " + ex.Message);
        }

        if (!relay.Running)
        {
            problems.Add($"relay not confirmed for 30 s at {relay.Checkpoint} of {store.HeadPosition}: {relay.LastError}");
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy($"head {store.HeadPosition}, relay at {relay.Checkpoint}")
            : HealthCheckResult.Degraded(string.Join("; ", problems));
    }
}
