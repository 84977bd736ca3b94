using System.Globalization;
using System.Text;
using Csto.EventLog.Hosting;
using Csto.EventLog.Relay;
using Csto.EventLog.V1;
using Csto.EventLog.Wire;
using Google.Protobuf.WellKnownTypes;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Csto.EventLog.Inbox;

/// <summary>
/// This service's error queue (csto.&lt;service&gt;_error): the messages its consumer can never apply, moved there by
/// MassTransit with the exception in their headers. Read, re-driven and purged by the operator through the replay API
/// (<c>cstoctl errors list|redrive|purge</c>); its depth and oldest message show in GetLogInfo and health.
/// </summary>
public sealed class ErrorQueue(EventLogOptions options, BrokerChannel broker)
{
    /// <summary>Set on a re-driven message: the user_id it carried when it first arrived (the origin check trusts it only from the service itself).</summary>
    public const string OriginalUserIdHeader = "csto-original-user-id";

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
                    if (!key.StartsWith("MT-Fault", StringComparison.Ordinal) && !key.StartsWith("MT-Host", StringComparison.Ordinal) && key != "MT-Reason" && key != OriginalUserIdHeader)
                    {
                        headers[key] = value;
                    }
                }

                var original = Header(message.BasicProperties.Headers, OriginalUserIdHeader) ?? message.BasicProperties.UserId ?? "";
                headers[OriginalUserIdHeader] = Encoding.UTF8.GetBytes(original);
                properties.Headers = headers;
                // to the exchange in front of the service's queue (as MassTransit lays it out); confirmed before the original goes
                await channel.BasicPublishAsync(Topology.QueueOf(options.ServiceName), "", mandatory: true, properties, message.Body, cancellationToken).ConfigureAwait(false);
                await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken).ConfigureAwait(false);
                count++;
            }

            return count;
        }, cancellationToken);

    public Task<long> PurgeAsync(CancellationToken cancellationToken) =>
        broker.RunAsync(async channel =>
            await DepthAsync(channel, cancellationToken).ConfigureAwait(false) is null ? 0L : (long)await channel.QueuePurgeAsync(Name, cancellationToken).ConfigureAwait(false),
            cancellationToken);

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
        var exceptionType = Header(headers, "MT-Fault-ExceptionType") ?? "";
        var exceptionMessage = Header(headers, "MT-Fault-Message") ?? "";
        var failed = new FailedMessage
        {
            EventId = Header(headers, WireHeaders.EventId) ?? "",
            Type = Header(headers, WireHeaders.Type) ?? "",
            SourceService = Header(headers, WireHeaders.Source) ?? "",
            StreamId = Header(headers, WireHeaders.StreamId) ?? "",
            Position = long.TryParse(Header(headers, WireHeaders.Position), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0,
            UserId = message.BasicProperties.UserId ?? "",
            Reason = ReasonOf(exceptionType, exceptionMessage),
            Exception = $"{exceptionType}: {exceptionMessage}",
            BodySize = message.Body.Length,
        };
        if (DateTimeOffset.TryParse(Header(headers, "MT-Fault-Timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            failed.FailedAt = Timestamp.FromDateTimeOffset(at);
        }

        return failed;
    }

    /// <summary>The reason named by a <see cref="PoisonMessageException"/> ("REASON: description"), else the kind of failure.</summary>
    static string ReasonOf(string exceptionType, string message)
    {
        if (exceptionType.EndsWith(nameof(PoisonMessageException), StringComparison.Ordinal) && message.IndexOf(':', StringComparison.Ordinal) is > 0 and var cut)
        {
            return message[..cut];
        }

        return exceptionType.EndsWith("SerializationException", StringComparison.Ordinal) ? PoisonMessageException.NotACstoEvent : exceptionType[(exceptionType.LastIndexOf('.') + 1)..];
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
