using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Csto.EventLog;

/// <summary>
/// Event ids derived from a name (a request_id, an incoming event id, a seed key): a retry derives the same
/// ids and the log's event-id idempotency turns it into a no-op. Name-based UUID over SHA-256 (RFC 9562
/// version 8), scoped by the service so that two logs never derive the same id from the same key.
/// </summary>
public static class EventIds
{
    static readonly byte[] Namespace = Guid.Parse("3f0d2c7e-9a41-4c55-8a8e-6d1b2f7c0a91").ToByteArray(bigEndian: true);

    public static string FromName(string service, string key, int index = 0)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(key);
        var name = Encoding.UTF8.GetBytes(service + "|" + key + "#" + index.ToString(CultureInfo.InvariantCulture));
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData([.. Namespace, .. name], hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
