using Csto.EventLog;
using Csto.EventLog.V1;

namespace Csto.Bodies.Shared;

/// <summary>Short random ids for resources created without a request_id; event ids come from <see cref="EventIds"/>.</summary>
public static class Ids
{
    public static string NewId() => Guid.NewGuid().ToString("N")[..16];
}

/// <summary>The event ids of one write: derived from its request_id when given, random otherwise.</summary>
public sealed class WriteIds(string? requestId, string scope)
{
    public bool HasRequestId => !string.IsNullOrEmpty(requestId);

    public string? RequestId => HasRequestId ? requestId : null;

    public string EventId(int index) => HasRequestId ? EventIds.FromName("bodies", $"{scope}|{requestId}|{index}") : Guid.NewGuid().ToString();

    /// <summary>True when the stream already holds this request's first event: the call is a retry.</summary>
    public bool IsRetryIn(IEnumerable<EventRecord> records) =>
        HasRequestId && records.Any(r => string.Equals(r.EventId, EventId(0), StringComparison.Ordinal));
}
