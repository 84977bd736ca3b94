using Csto.Bodies.Bodies;
using Csto.Bodies.V1;
using Csto.EventLog.Roster;
using Csto.Membership.V1;

namespace Csto.Bodies.Drafts;

public static partial class DraftDecide
{
    /// <summary>Every position that counts, and the states without a voice, on the session date.</summary>
    public sealed record Tally(IReadOnlyList<StatePosition> Positions, IReadOnlyList<string> Excluded)
    {
        /// <summary>Members whose participation is frozen: counted as not participating whatever they recorded.</summary>
        public IReadOnlySet<string> Frozen { get; init; } = new HashSet<string>(StringComparer.Ordinal);

        public PositionCounts Counts => new()
        {
            Support = Positions.Count(p => p.Position == Position.Support),
            Object = Positions.Count(p => p.Position == Position.Object),
            NotParticipating = Positions.Count(p => p.Position == Position.NotParticipating),
            Absent = Positions.Count(p => p.Position == Position.Absent),
        };

        public IEnumerable<string> With(Position position) => Positions.Where(p => p.Position == position).Select(p => p.State);
    }

    /// <summary>
    /// A member with a voice that took no position was absent; a frozen member that took none stayed out; a suspended
    /// member and the state concerned have no voice (a position recorded before the roster learned so is dropped).
    /// </summary>
    public static Tally Count(DraftState draft, RosterView roster)
    {
        var date = draft.SessionDate;
        var concerned = DecisionKinds.StateConcerned(draft.Tabled.Payload);
        var positions = new List<StatePosition>();
        var frozen = new HashSet<string>(StringComparer.Ordinal);
        var excluded = new SortedSet<string>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(concerned))
        {
            excluded.Add(concerned);
        }

        foreach (var state in roster.States)
        {
            if (string.Equals(state, concerned, StringComparison.Ordinal))
            {
                continue;
            }

            var recorded = draft.Positions.TryGetValue(state, out var p) ? p : Position.Unspecified;
            switch (roster.ParticipationOn(state, date))
            {
                case Participation.Voice:
                    positions.Add(new StatePosition { State = state, Position = recorded == Position.Unspecified ? Position.Absent : recorded });
                    break;
                case Participation.Frozen:
                    frozen.Add(state);
                    positions.Add(new StatePosition { State = state, Position = recorded is Position.Absent ? Position.Absent : Position.NotParticipating });
                    break;
                default:
                    if (roster.StatusOn(state, date) == MemberStatus.Suspended)
                    {
                        excluded.Add(state);
                    }

                    break;
            }
        }

        return new Tally(positions, [.. excluded]) { Frozen = frozen };
    }
}
