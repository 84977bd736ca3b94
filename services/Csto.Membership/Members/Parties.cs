using System.Text.RegularExpressions;
using Csto.Membership.V1;

namespace Csto.Membership.Members;

/// <summary>
/// Who can be a party: a state by its ISO 3166-1 alpha-3 code (uppercase, officially assigned), or an
/// international organization by a lowercase id ("un", "osce", "sco-rats"), which may only be an observer
/// or a partner (Charter Article 21). The two spellings never overlap, so one field carries both.
/// </summary>
public static partial class Parties
{
    public static string StreamId(string party) => "member-" + party;

    public const string StreamPrefix = "member-";

    public static PartyKind KindOf(string party) =>
        IsState(party) ? PartyKind.State : IsOrganization(party) ? PartyKind.Organization : PartyKind.Unspecified;

    public static bool IsState(string party) => party is { Length: 3 } && Iso3166Alpha3.Codes.Contains(party);

    public static bool IsOrganization(string party) => party is not null && OrganizationId().IsMatch(party);

    /// <summary>Why <paramref name="party"/> is not acceptable, or null.</summary>
    public static string? Problem(string? party, bool organizationAllowed)
    {
        if (string.IsNullOrEmpty(party))
        {
            return "required";
        }

        if (IsState(party))
        {
            return null;
        }

        if (UpperThree().IsMatch(party))
        {
            return $"'{party}' is not an officially assigned ISO 3166-1 alpha-3 code";
        }

        if (IsOrganization(party))
        {
            return organizationAllowed ? null : $"'{party}' is an organization id; an organization can only be an observer or a partner";
        }

        return $"'{party}' is neither an ISO 3166-1 alpha-3 code (three uppercase letters, e.g. KAZ) nor an organization id (lowercase, e.g. un)";
    }

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex UpperThree();

    [GeneratedRegex("^[a-z][a-z0-9-]{1,39}$")]
    private static partial Regex OrganizationId();
}
