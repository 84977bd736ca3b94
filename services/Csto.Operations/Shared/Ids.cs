using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Csto.Operations.Shared;

public static class Ids
{
    /// <summary>A short id from a key: 12 hex digits of its hash.</summary>
    public static string Short(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];

    /// <summary>"Channel-Mountain Outpost" → "channel-mountain-outpost": the id in resource names.</summary>
    public static string Slug(string displayName)
    {
        var sb = new StringBuilder();
        foreach (var c in displayName.Trim().ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                sb.Append(c);
            }
            else if (sb.Length > 0 && sb[^1] != '-')
            {
                sb.Append('-');
            }
        }

        return sb.ToString().TrimEnd('-');
    }

    public static string OperationName(string id) => "operations/" + id;

    public static string StreamOf(string operationId) => "operation-" + operationId;

    /// <summary>"operations/channel" → "channel"; null when the name is not an operation's.</summary>
    public static string? OperationIdOf(string name)
    {
        var parts = (name ?? "").Split('/');
        return parts.Length >= 2 && parts[0] == "operations" && IsId(parts[1]) ? parts[1] : null;
    }

    /// <summary>"operations/channel/stages/x" → ("channel", "x"); kind is "stages" or "reports".</summary>
    public static (string Operation, string Child)? ChildOf(string name, string kind)
    {
        var parts = (name ?? "").Split('/');
        return parts.Length == 4 && parts[0] == "operations" && IsId(parts[1]) && parts[2] == kind && IsId(parts[3])
            ? (parts[1], parts[3])
            : null;
    }

    static bool IsId(string s) => s.Length is > 0 and <= 100 && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}
