namespace Csto.EventLog.Hosting;

/// <summary>
/// The type of the consumers' queues (<c>EventLog:QueueType</c>): classic on a single broker, quorum on a cluster, where a
/// quorum queue is replicated on the nodes and survives the loss of a minority of them. Every queue the suite declares
/// (the consumer's own through MassTransit, the consumers' queues a producer declares before it publishes, the error
/// queue) takes this type, since the broker refuses to declare a queue with another type than the one it has
/// (PRECONDITION_FAILED): all services of one broker use the same value.
/// </summary>
public enum QueueType
{
    Classic,
    Quorum,
}

public static class QueueTypes
{
    public const string Setting = "EventLog:QueueType";

    /// <summary>classic (also when unset) or quorum, in any case; anything else refuses to start, naming the setting.</summary>
    public static QueueType Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "classic" => QueueType.Classic,
        "quorum" => QueueType.Quorum,
        _ => throw new InvalidOperationException($"{Setting} is '{value}': it is classic (the default) or quorum (on a RabbitMQ cluster)"),
    };

    /// <summary>The declaration arguments of a queue of this type: none for classic (as before the setting existed), x-queue-type for quorum.</summary>
    public static Dictionary<string, object?>? Arguments(this QueueType type) =>
        type == QueueType.Quorum ? new Dictionary<string, object?>(StringComparer.Ordinal) { ["x-queue-type"] = "quorum" } : null;

    public static string Name(this QueueType type) => type == QueueType.Quorum ? "quorum" : "classic";
}
