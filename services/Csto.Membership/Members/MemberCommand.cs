using Csto.Common.V1;

namespace Csto.Membership.Members;

public enum MemberAct
{
    Signature,
    EntryIntoForce,
    Accession,
    Suspension,
    Restoration,
    Freeze,
    Unfreeze,
    WithdrawalNotice,
    TermEnd,
    Exclusion,
    ObserverGranted,
    ObserverEnded,
    PartnerGranted,
    PartnerEnded,
}

/// <summary>
/// One act about a party. <see cref="EffectiveDate"/> may be null only when the cause is a decision that
/// names the date; <see cref="TakesEffectOn"/> is the date a withdrawal notice takes effect.
/// </summary>
public sealed record MemberCommand(string Party, MemberAct Act, DateOnly? EffectiveDate, Cause? Cause)
{
    public DateOnly? TakesEffectOn { get; init; }

    public string Grounds { get; init; } = "";

    /// <summary>The act an adopted decision asks for, applied by the decisions consumer (not subject to the time order of API acts).</summary>
    public bool FromDecision { get; init; }
}
