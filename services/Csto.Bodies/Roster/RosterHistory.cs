using Csto.Membership.V1;

namespace Csto.Bodies.Roster;

/// <summary>One status change of a state as observed from the membership log.</summary>
public sealed record RosterEntry(string State, long SourceVersion, DateOnly EffectiveDate, MemberStatus Status);

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
/// The dated status history of every state. Membership appends a state's acts in time order, so the status on a
/// date is the one of the highest source version whose effective date is not after it. Entries may arrive in any
/// order: a late older version fills the history without overriding a newer act.
/// </summary>
public sealed class RosterHistory
{
    readonly Dictionary<string, List<RosterEntry>> _byState = new(StringComparer.Ordinal);

    public RosterHistory(IEnumerable<RosterEntry> entries)
    {
        foreach (var e in entries)
        {
            if (!_byState.TryGetValue(e.State, out var list))
            {
                _byState[e.State] = list = [];
            }

            list.Add(e);
        }

        foreach (var list in _byState.Values)
        {
            list.Sort((a, b) => a.SourceVersion.CompareTo(b.SourceVersion));
        }
    }

    public static RosterHistory Empty { get; } = new([]);

    public IEnumerable<string> States => _byState.Keys.Order(StringComparer.Ordinal);

    public MemberStatus StatusOn(string state, DateOnly date)
    {
        if (!_byState.TryGetValue(state, out var list))
        {
            return MemberStatus.Unspecified;
        }

        for (var i = list.Count - 1; i >= 0; i--)
        {
            if (list[i].EffectiveDate <= date)
            {
                return list[i].Status;
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

    /// <summary>The roster on a date: every state with its status.</summary>
    public IReadOnlyDictionary<string, MemberStatus> On(DateOnly date) =>
        States.ToDictionary(s => s, s => StatusOn(s, date), StringComparer.Ordinal);
}
