using Csto.Bodies.Bodies;
using Csto.Bodies.V1;
using Csto.EventLog.Roster;
using Csto.Membership.V1;

namespace Csto.Bodies.Drafts;

/// <summary>Positions of the states on an open draft: who may take one, and which.</summary>
public static partial class DraftDecide
{
    public static Verdict RecordPosition(DraftState draft, RosterView roster, string state, Position position)
    {
        if (CheckPosition(draft, roster, state, position) is { } rejection)
        {
            return rejection;
        }

        if (draft.Positions.TryGetValue(state, out var held))
        {
            return Verdict.Rule("POSITION_ALREADY_RECORDED", $"{state} has already taken the position {held}; changing it is an explicit act (ChangePosition)");
        }

        return Verdict.Accept(new PositionRecorded { Draft = draft.DraftName, State = state, Position = position });
    }

    public static Verdict ChangePosition(DraftState draft, RosterView roster, string state, Position position)
    {
        if (CheckPosition(draft, roster, state, position) is { } rejection)
        {
            return rejection;
        }

        if (!draft.Positions.TryGetValue(state, out var held))
        {
            return Verdict.Rule("POSITION_NOT_RECORDED", $"{state} has no position to change; record one first");
        }

        return held == position
            ? Verdict.Invalid("position", $"{state} already holds the position {position}")
            : Verdict.Accept(new PositionChanged { Draft = draft.DraftName, State = state, OldPosition = held, NewPosition = position });
    }

    static Violation? CheckPosition(DraftState draft, RosterView roster, string state, Position position)
    {
        if (StateCodes.Problem(state, "state") is { } badState)
        {
            return badState;
        }

        if (position == Position.Unspecified || !Enum.IsDefined(position))
        {
            return new InvalidField("position", "one of support, object, not participating, absent");
        }

        if (draft.Status != DraftStatus.Open)
        {
            return new RuleBroken("DRAFT_CLOSED", $"the draft is {draft.Status}; positions are taken only on an open draft");
        }

        if (string.Equals(DecisionKinds.StateConcerned(draft.Tabled.Payload), state, StringComparison.Ordinal))
        {
            return new RuleBroken("STATE_CONCERNED_HAS_NO_VOICE", $"the decision is about {state}; it is taken without its voice");
        }

        var date = draft.SessionDate;
        switch (roster.ParticipationOn(state, date))
        {
            case Participation.NoVoice:
                return new RuleBroken("STATE_HAS_NO_VOICE", $"{state} is {Describe(roster.StatusOn(state, date))} on {date.ToIso()}: no voice");
            case Participation.Frozen when position is Position.Support or Position.Object:
                return new RuleBroken("PARTICIPATION_FROZEN", $"{state} froze its participation: it takes no part and does not block");
        }

        if (position == Position.NotParticipating && date < LimitedFormatInForce)
        {
            return new RuleBroken("LIMITED_FORMAT_NOT_IN_FORCE", $"staying out without objecting (limited format) exists only from {LimitedFormatInForce.ToIso()}");
        }

        return null;
    }

    static string Describe(MemberStatus status) => status switch
    {
        MemberStatus.Unspecified => "not a member",
        _ => status.ToString().ToLowerInvariant(),
    };
}
