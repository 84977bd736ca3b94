using System.Collections.Immutable;
using Csto.Membership.V1;

namespace Csto.Operations.Roster;

/// <summary>One recorded status change of a state, from membership's MemberStatusChanged.</summary>
public sealed record RosterEntry(string State, MemberStatus Status, DateOnly EffectiveDate, long SourceVersion);

/// <summary>
/// The roster as this service knows it: every status change of each state it has received. The status on a
/// date is the last change (by effective date, then source version) on or before it, so the answer does
/// not depend on the order in which the changes were delivered.
/// </summary>
public sealed record RosterView(ImmutableDictionary<string, ImmutableList<RosterEntry>> Changes)
{
    public static readonly RosterView Empty = new(ImmutableDictionary.Create<string, ImmutableList<RosterEntry>>(StringComparer.Ordinal));

    public static RosterView Of(IEnumerable<RosterEntry> entries) =>
        new(entries.GroupBy(e => e.State, StringComparer.Ordinal).ToImmutableDictionary(g => g.Key, g => g.ToImmutableList(), StringComparer.Ordinal));

    public MemberStatus StatusOn(string state, DateOnly day) =>
        Changes.TryGetValue(state, out var list)
            ? list.Where(e => e.EffectiveDate <= day).OrderBy(e => e.EffectiveDate).ThenBy(e => e.SourceVersion).LastOrDefault()?.Status ?? MemberStatus.Unspecified
            : MemberStatus.Unspecified;

    /// <summary>A member with a voice: not suspended, not frozen, not withdrawn, not a mere signatory.</summary>
    public bool HasVoice(string state, DateOnly day) => StatusOn(state, day) == MemberStatus.Member;

    /// <summary>A member on the date, whatever its participation (member, suspended, frozen).</summary>
    public bool IsMember(string state, DateOnly day) => StatusOn(state, day) is MemberStatus.Member or MemberStatus.Suspended or MemberStatus.Frozen;
}
