using System.Globalization;
using System.Text;
using Csto.EventLog.Hosting;
using Csto.EventLog.Relay;
using Csto.EventLog.V1;
using Csto.EventLog.Wire;
using Google.Protobuf.WellKnownTypes;
using RabbitMQ.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client.Exceptions;

namespace Csto.EventLog.Inbox;

/// <summary>
/// This service's error queue (csto.&lt;service&gt;_error): the messages its consumer can never apply, moved there by
/// MassTransit with the exception in their headers. Read, re-driven and purged by the operator through the replay API
/// (<c>cstoctl errors list|redrive|purge</c>); its depth and oldest message show in GetLogInfo and health.
/// </summary>
public sealed partial class ErrorQueue(EventLogOptions options, BrokerChannel broker, ILogger<ErrorQueue>? logger = null)
{
    readonly ILogger _logger = logger ?? NullLogger<ErrorQueue>.Instance;
    long _lastDepth;

    /// <summary>The depth last read from the broker (GetLogInfo, health, the metrics' refresh), plus what was moved there since.</summary>
    public long LastDepth => Interlocked.Read(ref _lastDepth);

    /// <summary>Set on a re-driven message: the user_id it carried when it first arrived (the origin check trusts it only from the service itself).</summary>
    public const string OriginalUserIdHeader = "csto-original-user-id";

    /// <summary>Headers of a message in the error queue: why, the exception, when, and the user_id it was published with.</summary>
    public const string ReasonHeader = "csto-error-reason";
    public const string ExceptionHeader = "csto-error-exception";
    public const string FailedAtHeader = "csto-error-failed-at";
    public const string PublishedByHeader = "csto-error-published-by";

    /// <summary>
    /// Moves a message the consumer can never apply to the error queue (declared here, durable), with the reason and the
    /// exception in its headers and without its user_id (the broker accepts a user_id only from its own user; the
    /// original one is kept in <see cref="PublishedByHeader"/>). The broker confirms the copy before the original is acknowledged.
    /// </summary>
    public Task MoveAsync(ReadOnlyMemory<byte> body, IEnumerable<KeyValuePair<string, object>> transportHeaders, string? contentType, string? userId, Exception exception, CancellationToken cancellationToken) =>
        broker.RunAsync(async channel =>
        {
            await DeclareAsync(channel, cancellationToken).ConfigureAwait(false);
            var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (key, value) in transportHeaders)
            {
                if (!key.StartsWith("csto-error-", StringComparison.Ordinal) && value is not null)
                {
                    // AMQP tables take strings as bytes; anything else is kept as its text (MassTransit adds unsigned counters)
                    headers[key] = value as byte[] ?? Encoding.UTF8.GetBytes(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
                }
            }

            var poison = exception as PoisonMessageException ?? exception.GetBaseException() as PoisonMessageException;
            var eventId = headers.TryGetValue(WireHeaders.EventId, out var id) && id is byte[] idBytes ? Encoding.UTF8.GetString(idBytes) : "";
            headers[ReasonHeader] = Encoding.UTF8.GetBytes(poison?.Reason ?? exception.GetType().Name);
            headers[ExceptionHeader] = Encoding.UTF8.GetBytes($"{exception.GetType().FullName}: {exception.Message}");
            headers[FailedAtHeader] = Encoding.UTF8.GetBytes(DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            headers[PublishedByHeader] = Encoding.UTF8.GetBytes(userId ?? "");
            var properties = new BasicProperties { Persistent = true, ContentType = contentType, Headers = headers };
            await (await broker.PublishAsync(channel, Name, mandatory: true, properties, body, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            Interlocked.Increment(ref _lastDepth);
            EventLogTelemetry.Delivered(options.ServiceName, EventLogTelemetry.Parked);
            LogParked(_logger, options.ServiceName, eventId, poison?.Reason ?? exception.GetType().Name, exception.Message, Name);
            return true;
        }, cancellationToken);

    /// <summary>The error queue (of <c>EventLog:QueueType</c>, replicated like the service's queue on a cluster) and the exchange of the same name in front of it (MassTransit's layout).</summary>
    async Task DeclareAsync(IChannel channel, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(Name, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        await QueueDeclaration.DeclareAsync(channel, Name, options.QueueType, cancellationToken).ConfigureAwait(false);
        await channel.QueueBindAsync(Name, Name, "", cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public string Name => Topology.ErrorQueueOf(options.ServiceName);

    public async Task<ErrorQueueInfo> InfoAsync(CancellationToken cancellationToken)
    {
        var (messages, depth) = await PeekAsync(1, cancellationToken).ConfigureAwait(false);
        var info = new ErrorQueueInfo { Queue = Name, Depth = depth };
        if (messages.Count > 0)
        {
            info.OldestFailedAt = messages[0].FailedAt;
            info.OldestReason = messages[0].Reason;
        }

        return info;
    }

    /// <summary>Up to <paramref name="max"/> messages, oldest first, left in the queue (taken and given back unacknowledged).</summary>
    public Task<(IReadOnlyList<FailedMessage> Messages, long Depth)> PeekAsync(int max, CancellationToken cancellationToken) =>
        broker.RunAsync(async channel =>
        {
            if (await DepthAsync(channel, cancellationToken).ConfigureAwait(false) is not { } depth)
            {
                Interlocked.Exchange(ref _lastDepth, 0);
                return ((IReadOnlyList<FailedMessage>)[], 0L);
            }

            var taken = new List<BasicGetResult>();
            while (taken.Count < max && await channel.BasicGetAsync(Name, autoAck: false, cancellationToken).ConfigureAwait(false) is { } message)
            {
                taken.Add(message);
            }

            if (taken.Count > 0)
            {
                await channel.BasicNackAsync(taken[^1].DeliveryTag, multiple: true, requeue: true, cancellationToken).ConfigureAwait(false);
            }

            Interlocked.Exchange(ref _lastDepth, depth);
            return ((IReadOnlyList<FailedMessage>)[.. taken.Select(Describe)], (long)depth);
        }, cancellationToken);

    /// <summary>Sends up to <paramref name="max"/> messages (0: all) back to this service's queue; each is removed once the broker confirmed its copy.</summary>
    public Task<long> RedriveAsync(int max, CancellationToken cancellationToken) =>
        broker.RunAsync(async channel =>
        {
            if (await DepthAsync(channel, cancellationToken).ConfigureAwait(false) is not { } depth)
            {
                return 0L;
            }

            var limit = max <= 0 ? depth : Math.Min((uint)max, depth);
            long count = 0;
            while (count < limit && await channel.BasicGetAsync(Name, autoAck: false, cancellationToken).ConfigureAwait(false) is { } message)
            {
                var properties = new BasicProperties(message.BasicProperties) { UserId = broker.User };
                var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (key, value) in message.BasicProperties.Headers ?? new Dictionary<string, object?>())
                {
                    if (!key.StartsWith("csto-error-", StringComparison.Ordinal) && key != OriginalUserIdHeader)
                    {
                        headers[key] = value;
                    }
                }

                // the user the message was first published by, not this service's (which re-publishes it)
                var original = Header(message.BasicProperties.Headers, OriginalUserIdHeader) ?? Header(message.BasicProperties.Headers, PublishedByHeader) ?? "";
                headers[OriginalUserIdHeader] = Encoding.UTF8.GetBytes(original);
                properties.Headers = headers;
                // to the exchange in front of the service's queue (as MassTransit lays it out); confirmed before the original goes
                await (await broker.PublishAsync(channel, Topology.QueueOf(options.ServiceName), mandatory: true, properties, message.Body, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken).ConfigureAwait(false);
                count++;
            }

            Interlocked.Exchange(ref _lastDepth, Math.Max(0, depth - count));
            return count;
        }, cancellationToken);

    public Task<long> PurgeAsync(CancellationToken cancellationToken) =>
        broker.RunAsync(async channel =>
        {
            var purged = await DepthAsync(channel, cancellationToken).ConfigureAwait(false) is null ? 0L : (long)await channel.QueuePurgeAsync(Name, cancellationToken).ConfigureAwait(false);
            Interlocked.Exchange(ref _lastDepth, 0);
            return purged;
        }, cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "consumer of {Service}: event {EventId} parked in {Queue}: {Reason} ({Description})")]
    static partial void LogParked(ILogger logger, string service, string eventId, string reason, string description, string queue);

    /// <summary>The queue's depth, or null when it does not exist (nothing ever failed).</summary>
    async Task<uint?> DepthAsync(IChannel channel, CancellationToken cancellationToken)
    {
        try
        {
            return (await channel.QueueDeclarePassiveAsync(Name, cancellationToken).ConfigureAwait(false)).MessageCount;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return null; // the broker closed the channel; BrokerChannel opens a new one next time
        }
    }

    static FailedMessage Describe(BasicGetResult message)
    {
        var headers = message.BasicProperties.Headers;
        var failed = new FailedMessage
        {
            EventId = Header(headers, WireHeaders.EventId) ?? "",
            Type = Header(headers, WireHeaders.Type) ?? "",
            SourceService = Header(headers, WireHeaders.Source) ?? "",
            StreamId = Header(headers, WireHeaders.StreamId) ?? "",
            Position = long.TryParse(Header(headers, WireHeaders.Position), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0,
            UserId = Header(headers, OriginalUserIdHeader) ?? Header(headers, PublishedByHeader) ?? "",
            Reason = Header(headers, ReasonHeader) ?? "",
            Exception = Header(headers, ExceptionHeader) ?? "",
            BodySize = message.Body.Length,
        };
        if (DateTimeOffset.TryParse(Header(headers, FailedAtHeader), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            failed.FailedAt = Timestamp.FromDateTimeOffset(at);
        }

        return failed;
    }

    static string? Header(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value) ? value switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            null => null,
            var other => Convert.ToString(other, CultureInfo.InvariantCulture),
        } : null;
}

/// <summary>A message that can never be applied, whatever is retried: it goes to the error queue at once, with the reason first in its message.</summary>
public sealed class PoisonMessageException(string reason, string description) : Exception($"{reason}: {description}")
{
    public const string OriginNotTrusted = "ORIGIN_NOT_TRUSTED";
    public const string Undecodable = "UNDECODABLE";
    public const string UnknownType = "UNKNOWN_TYPE";
    public const string EmptyBody = "EMPTY_BODY";
    public const string NotACstoEvent = "NOT_A_CSTO_EVENT";

    public string Reason { get; } = reason;
}
