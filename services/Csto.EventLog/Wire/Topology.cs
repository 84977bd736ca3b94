using Csto.Bodies.V1;
using Csto.Membership.V1;
using Csto.Operations.V1;

namespace Csto.EventLog.Wire;

/// <summary>
/// Who consumes which event type of the suite: the one table from which every service declares, before it relays
/// anything, the durable queues and bindings of the consumers of the types it publishes. A consumer's queue then
/// exists whether or not the consumer ever started (a fresh broker, a reset, a deleted queue), so no event is
/// routed to nobody. A service's handlers may consume only what this table names for it (checked at start).
/// </summary>
public static class Topology
{
    public static readonly IReadOnlyList<(string Type, string Consumer)> Consumers =
    [
        (DecisionAdopted.Descriptor.FullName, "membership"),
        (DecisionAdopted.Descriptor.FullName, "operations"),
        (MemberStatusChanged.Descriptor.FullName, "bodies"),
        (MemberStatusChanged.Descriptor.FullName, "operations"),
        (OperationSummaryPublished.Descriptor.FullName, "bodies"),
    ];

    /// <summary>The queue of a consuming service (and the exchange of the same name in front of it, as MassTransit lays it out).</summary>
    public static string QueueOf(string service) => "csto." + service;

    /// <summary>The error queue of a consuming service: messages that can never be applied, with the reason in their headers.</summary>
    public static string ErrorQueueOf(string service) => QueueOf(service) + "_error";

    /// <summary>The service whose log an event type comes from: the area of its protobuf package (csto.&lt;service&gt;.v1).</summary>
    public static string ProducerOf(string type)
    {
        var parts = type.Split('.');
        return parts.Length >= 4 && parts[0] == "csto" ? parts[1] : "";
    }

    /// <summary>Whether a type has consumers in the suite: its messages are published mandatory (a message routed to no queue is returned, never confirmed).</summary>
    public static bool HasConsumers(string type) => Consumers.Any(c => string.Equals(c.Type, type, StringComparison.Ordinal));

    public static IEnumerable<(string Type, string Consumer)> PublishedBy(string service) =>
        Consumers.Where(c => string.Equals(ProducerOf(c.Type), service, StringComparison.Ordinal));

    public static IReadOnlyCollection<string> ConsumedBy(string service) =>
        [.. Consumers.Where(c => string.Equals(c.Consumer, service, StringComparison.Ordinal)).Select(c => c.Type).Order(StringComparer.Ordinal)];
}
