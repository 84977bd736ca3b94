using System.Text.RegularExpressions;
using Csto.Kernel;
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

    public static bool IsState(string party) => StateCodes.IsValid(party);

    public static bool IsOrganization(string party) => party is not null && OrganizationId().IsMatch(party);

    /// <summary>Observer and partner statuses are open to organizations; the other acts only to states.</summary>
    public static bool OrganizationMayBe(MemberAct act) =>
        act is MemberAct.ObserverGranted or MemberAct.ObserverEnded or MemberAct.PartnerGranted or MemberAct.PartnerEnded;

    /// <summary>Why <paramref name="party"/> is not acceptable in <paramref name="field"/>, or null.</summary>
    public static InvalidField? Problem(string? party, string field, bool organizationAllowed)
    {
        if (string.IsNullOrEmpty(party) || UpperThree().IsMatch(party))
        {
            return StateCodes.Problem(party, field);
        }

        if (IsOrganization(party))
        {
            return organizationAllowed ? null : new InvalidField(field, $"'{party}' is an organization id; an organization can only be an observer or a partner");
        }

        return new InvalidField(field, $"'{party}' is neither an ISO 3166-1 alpha-3 code (three uppercase letters, e.g. KAZ) nor an organization id (lowercase, e.g. un)");
    }

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex UpperThree();

    [GeneratedRegex("^[a-z][a-z0-9-]{1,39}$")]
    private static partial Regex OrganizationId();
}
