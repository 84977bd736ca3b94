using System.Text.RegularExpressions;

namespace Csto.Bodies.Shared;

/// <summary>Ids of the bodies' resources (sessions, drafts, bodies): lower-case letters, digits and '-'.</summary>
public static partial class Ids
{
    /// <summary>A short random id for a resource created without a request_id.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N")[..16];

    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex IdPattern();
}
