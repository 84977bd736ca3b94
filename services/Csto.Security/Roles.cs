namespace Csto.Security;

/// <summary>The roles and the claims that carry them.</summary>
public static class Roles
{
    public const string Reader = "reader";
    public const string Secretariat = "secretariat";
    public const string Delegate = "delegate";
    public const string Reporter = "reporter";
    public const string Operator = "operator";

    public static readonly IReadOnlyList<string> All = [Reader, Secretariat, Delegate, Reporter, Operator];

    /// <summary>Roles that act for one state: the token's <see cref="Claims.State"/> must name the state the request acts for.</summary>
    public static bool IsStateBound(string role) => role is Delegate or Reporter;

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}

public static class Claims
{
    public const string Subject = "sub";
    public const string Role = "role";

    /// <summary>ISO 3166-1 alpha-3 code of the state a delegate or reporter represents.</summary>
    public const string State = "csto_state";
}
