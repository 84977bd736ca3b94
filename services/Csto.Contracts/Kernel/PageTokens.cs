using System.Security.Cryptography;
using System.Text;

namespace Csto.Kernel;

/// <summary>
/// One page-token format for every List method (AIP-158): opaque base64url of the query the page belongs to and the
/// key of the last item returned, and an HMAC-SHA256 tag over both (16 bytes, base64url, after a dot). A token of another
/// query, or one edited by hand (a key of -5, another position), is refused as INVALID_ARGUMENT page_token instead of
/// being read. The key is the host's (<see cref="UseKey"/>: derived from the deployment's signing key, so every instance
/// of a service and every restart accepts the tokens of the others), else one drawn at random for this process.
/// </summary>
public static class PageTokens
{
    const int TagBytes = 16;
    static readonly Lock Gate = new();
    static byte[][] _keys = [RandomNumberGenerator.GetBytes(32)];

    /// <summary>
    /// The key tokens are signed with from now on. Tokens signed with a key given before in this process stay accepted
    /// (tests host several services in one process), as do those signed before with the process's random key.
    /// </summary>
    public static void UseKey(ReadOnlySpan<byte> secret)
    {
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret.ToArray(), 32, info: Encoding.ASCII.GetBytes("csto page tokens v1"));
        lock (Gate)
        {
            _keys = [key, .. _keys.Where(k => !k.AsSpan().SequenceEqual(key))];
        }
    }

    public static string Next(string query, string lastKey)
    {
        var payload = Encoding.UTF8.GetBytes(query + "\n" + lastKey);
        var keys = _keys;
        return Base64Url(payload) + "." + Base64Url(Tag(keys[0], payload));
    }

    /// <summary>The key after which the page starts ("" for the first page); INVALID_ARGUMENT naming page_token otherwise.</summary>
    public static string After(string? token, string query, string field = "page_token")
    {
        if (string.IsNullOrEmpty(token))
        {
            return "";
        }

        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || FromBase64Url(token[..dot]) is not { } payload || FromBase64Url(token[(dot + 1)..]) is not { Length: TagBytes } tag)
        {
            throw new InvalidFieldException(field, "not a page token of this service (a token is copied whole from next_page_token)");
        }

        var keys = _keys;
        if (!keys.Any(k => CryptographicOperations.FixedTimeEquals(Tag(k, payload), tag)))
        {
            throw new InvalidFieldException(field, "not a page token this service gave: its signature does not match (edited, or from another deployment)");
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidFieldException(field, "not a page token of this service");
        }

        var cut = text.LastIndexOf('\n');
        return cut >= 0 && string.Equals(text[..cut], query, StringComparison.Ordinal)
            ? text[(cut + 1)..]
            : throw new InvalidFieldException(field, "not a token of this query (a token continues the query that returned it; its filters must not change)");
    }

    /// <summary>page_size: 0 means the default, above the maximum means the maximum, negative is refused.</summary>
    public static int Size(int pageSize, int defaultSize = 50, int maxSize = 500, string field = "page_size") =>
        pageSize < 0 ? throw new InvalidFieldException(field, "must not be negative")
        : pageSize == 0 ? defaultSize
        : Math.Min(pageSize, maxSize);

    static byte[] Tag(byte[] key, byte[] payload) => HMACSHA256.HashData(key, payload)[..TagBytes];

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    static byte[]? FromBase64Url(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 += new string('=', (4 - (base64.Length % 4)) % 4);
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
