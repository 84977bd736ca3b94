using System.Security.Cryptography;
using System.Text;
using Csto.EventLog.V1;

namespace Csto.Bodies.Shared;

/// <summary>Deterministic ids: a retried request (AIP-155) or a re-run seed yields the same event ids, which the log treats as a no-op.</summary>
public static class Ids
{
    static readonly Guid Namespace = new("6f1d2a4e-8c1b-5b7e-9a53-0c8d3e2b7f10");

    /// <summary>UUIDv5 (SHA-1, RFC 9562) of <paramref name="name"/> in the service's namespace.</summary>
    public static string Uuid5(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var ns = Namespace.ToByteArray(bigEndian: true);
        var bytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[ns.Length + bytes.Length];
        ns.CopyTo(input, 0);
        bytes.CopyTo(input, ns.Length);
#pragma warning disable CA5350 // UUIDv5 is defined on SHA-1; it names, it does not protect
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }

    public static string NewId() => Guid.NewGuid().ToString("N")[..16];
}

/// <summary>The event ids of one write: derived from its request_id when given, random otherwise.</summary>
public sealed class WriteIds(string? requestId, string scope)
{
    public bool HasRequestId => !string.IsNullOrEmpty(requestId);

    public string? RequestId => HasRequestId ? requestId : null;

    public string EventId(int index) => HasRequestId ? Ids.Uuid5($"{scope}|{requestId}|{index}") : Guid.NewGuid().ToString();

    /// <summary>True when the stream already holds this request's first event: the call is a retry.</summary>
    public bool IsRetryIn(IEnumerable<EventRecord> records) =>
        HasRequestId && records.Any(r => string.Equals(r.EventId, EventId(0), StringComparison.Ordinal));
}
