using System.Text;

namespace Csto.Kernel;

/// <summary>
/// One page-token format for every List method (AIP-158): opaque base64url of the query the page belongs to and the
/// key of the last item returned, so that a token of another query is refused instead of silently misread.
/// </summary>
public static class PageTokens
{
    public static string Next(string query, string lastKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(query + "\n" + lastKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The key after which the page starts ("" for the first page); INVALID_ARGUMENT naming page_token otherwise.</summary>
    public static string After(string? token, string query, string field = "page_token")
    {
        if (string.IsNullOrEmpty(token))
        {
            return "";
        }

        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 += new string('=', (4 - (base64.Length % 4)) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            var cut = text.LastIndexOf('\n');
            if (cut >= 0 && string.Equals(text[..cut], query, StringComparison.Ordinal))
            {
                return text[(cut + 1)..];
            }
        }
        catch (FormatException)
        {
        }

        throw new InvalidFieldException(field, "not a token of this query (a token continues the query that returned it; its filters must not change)");
    }

    /// <summary>page_size: 0 means the default, above the maximum means the maximum, negative is refused.</summary>
    public static int Size(int pageSize, int defaultSize = 50, int maxSize = 500, string field = "page_size") =>
        pageSize < 0 ? throw new InvalidFieldException(field, "must not be negative")
        : pageSize == 0 ? defaultSize
        : Math.Min(pageSize, maxSize);
}
