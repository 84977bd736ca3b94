using System.Text.RegularExpressions;

namespace Csto.Kernel;

/// <summary>
/// The code of an international organization that observes an operation or a body ("UNODC", "OSCE"): upper-case
/// letters, digits and '-', 2 to 16. One rule for operations' and bodies' observers. (Membership names the
/// organizations that are parties by lower-case ids, "interpol": another, older format it keeps for its streams.)
/// </summary>
public static partial class ObserverCodes
{
    [GeneratedRegex("^[A-Z][A-Z0-9-]{1,15}$")]
    private static partial Regex Organization();

    public static bool IsOrganization(string? code) => code is not null && Organization().IsMatch(code);
}
