using Csto.Membership.V1;

namespace Csto.EventLog.Roster;

/// <summary>One status change of a state, as received from membership's MemberStatusChanged.</summary>
public sealed record RosterEntry(string State, MemberStatus Status, DateOnly EffectiveDate, long SourceVersion);

/// <summary>What a state may do in a body on a date.</summary>
public enum Participation
{
    /// <summary>Not a member with a voice (never a member, withdrawn, suspended, observer, partner).</summary>
    NoVoice,

    /// <summary>A member with a voice.</summary>
    Voice,

    /// <summary>A member that froze its participation: takes no part and does not block.</summary>
    Frozen,
}

/// <summary>
/// Who was what on a date, with membership's meaning: the status of a state on a date is the one of its latest change
/// whose effective date is on or before it, ties broken by the source stream version. A withdrawal notice records a
/// change dated months ahead; acts recorded after the notice but dated before it slot in ahead of it. The answer does
/// not depend on the order in which the changes were delivered.
/// </summary>
public sealed class RosterView
{
    readonly Dictionary<string, RosterEntry[]> _byState;

    public RosterView(IEnumerable<RosterEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _byState = entries
            .GroupBy(e => e.State, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => g.DistinctBy(e => e.SourceVersion).OrderBy(e => e.EffectiveDate).ThenBy(e => e.SourceVersion).ToArray(),
                StringComparer.Ordinal);
    }

    public static RosterView Empty { get; } = new([]);

    public IEnumerable<string> States => _byState.Keys.Order(StringComparer.Ordinal);

    public MemberStatus StatusOn(string state, DateOnly date)
    {
        if (!_byState.TryGetValue(state, out var changes))
        {
            return MemberStatus.Unspecified;
        }

        for (var i = changes.Length - 1; i >= 0; i--)
        {
            if (changes[i].EffectiveDate <= date)
            {
                return changes[i].Status;
            }
        }

        return MemberStatus.Unspecified;
    }

    public Participation ParticipationOn(string state, DateOnly date) => StatusOn(state, date) switch
    {
        MemberStatus.Member => Participation.Voice,
        MemberStatus.Frozen => Participation.Frozen,
        _ => Participation.NoVoice,
    };

    /// <summary>A member with a voice: not suspended, not frozen, not withdrawn, not a mere signatory.</summary>
    public bool HasVoice(string state, DateOnly date) => StatusOn(state, date) == MemberStatus.Member;

    /// <summary>A member on the date, whatever its participation (member, suspended, frozen).</summary>
    public bool IsMember(string state, DateOnly date) => StatusOn(state, date) is MemberStatus.Member or MemberStatus.Suspended or MemberStatus.Frozen;

    /// <summary>A state's changes of status, by effective date (empty when it never had one).</summary>
    public IReadOnlyList<RosterEntry> ChangesOf(string state) => _byState.TryGetValue(state, out var changes) ? changes : [];

    /// <summary>The roster on a date: every state with its status.</summary>
    public IReadOnlyDictionary<string, MemberStatus> On(DateOnly date) =>
        States.ToDictionary(s => s, s => StatusOn(s, date), StringComparer.Ordinal);
}
