using System.Globalization;
using Csto.Bodies.Bodies;
using Csto.Bodies.Sessions;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog.Roster;
using Csto.Membership.V1;
using Google.Protobuf;

namespace Csto.Bodies.Drafts;

/// <summary>Closing a draft by the body's rule (the outcome and its reason), the facts an adopted decision creates, and joining later.</summary>
public static partial class DraftDecide
{
    public static Verdict Close(DraftState draft, BodyInfo body, IReadOnlyDictionary<string, BodyInfo> bodies, RosterView roster, CloseDraft command, IReadOnlyList<SecretaryGeneralTerm>? terms = null)
    {
        if (command.Action is not (CloseAction.Decide or CloseAction.Withdraw))
        {
            return Verdict.Invalid("action", "decide or withdraw");
        }

        if (draft.Status != DraftStatus.Open)
        {
            return Verdict.Rule("DRAFT_CLOSED", $"the draft is already {draft.Status}");
        }

        if (command.Action == CloseAction.Withdraw)
        {
            return Verdict.Accept(new DraftWithdrawn { Draft = draft.DraftName, Reason = command.Reason, SessionDate = draft.Tabled.SessionDate });
        }

        var tally = Count(draft, roster);
        var counts = tally.Counts;
        if (command.ExpectedCounts is { } expected && !expected.Equals(counts))
        {
            return Verdict.Rule("COUNTS_MISMATCH", $"the tally {Format(expected)} does not match the positions {Format(counts)}");
        }

        var limited = counts.NotParticipating > 0;
        if (limited && draft.SessionDate < LimitedFormatInForce)
        {
            return Verdict.Rule("LIMITED_FORMAT_NOT_IN_FORCE", $"states not participating before {LimitedFormatInForce.ToIso()}");
        }

        var majority = body.Rule == DecisionRule.SimpleMajority || (draft.Tabled.Procedural && body.ProceduralByMajority);
        var excludedText = tally.Excluded.Count == 0 ? "" : $" No voice: {string.Join(", ", tally.Excluded)}" + (DecisionKinds.StateConcerned(draft.Tabled.Payload) is { Length: > 0 } c ? $" (the decision is about {c})." : ".");
        DecisionRule rule;
        bool adopted;
        string reason;
        List<string> bound;
        List<string> mayJoin;
        if (majority)
        {
            rule = DecisionRule.SimpleMajority;
            var present = counts.Support + counts.Object + counts.NotParticipating;
            adopted = counts.Support * 2 > present;
            reason = string.Create(CultureInfo.InvariantCulture, $"Simple majority of the {present} states with a voice present: {counts.Support} for, {counts.Object} against, {counts.NotParticipating} not taking part; {(adopted ? "adopted" : "no majority, returned for revision")}.") + excludedText;
            bound = [.. tally.Positions.Where(p => p.Position != Position.Absent).Select(p => p.State)];
            mayJoin = [.. tally.With(Position.Absent)];
        }
        else
        {
            rule = limited ? DecisionRule.LimitedFormat : DecisionRule.Consensus;
            var objecting = tally.With(Position.Object).ToList();
            adopted = objecting.Count == 0 && counts.Support > 0;
            var head = limited ? "Consensus in a limited format (2010 protocol, in force 2012-12-19)" : "Consensus (Charter Article 12)";
            reason = objecting.Count > 0
                ? $"{head}: objected by {string.Join(", ", objecting)}; returned for revision."
                : counts.Support == 0
                    ? $"{head}: no state with a voice supported the draft; returned for revision."
                    : string.Create(CultureInfo.InvariantCulture, $"{head}: {counts.Support} supported, none objected; adopted.")
                        + (limited ? $" Not participating, not bound: {string.Join(", ", tally.With(Position.NotParticipating).Select(x => tally.Frozen.Contains(x) ? x + " (participation frozen: takes no part)" : x))}." : "")
                        + (counts.Absent > 0 ? $" Absent, may join: {string.Join(", ", tally.With(Position.Absent))}." : "");
            reason += excludedText;
            bound = [.. tally.With(Position.Support)];
            mayJoin = [.. tally.Positions.Where(p => p.Position is Position.Absent or Position.NotParticipating).Select(p => p.State)];
        }

        if (!adopted)
        {
            return Verdict.Accept(new DecisionReturned
            {
                Draft = draft.DraftName,
                BodyId = body.Id,
                Session = draft.Tabled.Session,
                SessionDate = draft.Tabled.SessionDate,
                Rule = rule,
                Reason = reason,
                Counts = counts,
                ObjectingStates = { tally.With(Position.Object) },
                Positions = { tally.Positions },
            });
        }

        var effective = draft.EffectiveDate;
        var events = new List<IMessage>
        {
            new DecisionAdopted
            {
                Decision = draft.DecisionName,
                Draft = draft.DraftName,
                BodyId = body.Id,
                Session = draft.Tabled.Session,
                SessionDate = draft.Tabled.SessionDate,
                EffectiveDate = effective.ToProto(),
                Title = draft.Tabled.Title,
                Payload = draft.Tabled.Payload,
                Rule = rule,
                Reason = reason,
                Counts = counts,
                BoundStates = { bound },
                MayJoinStates = { mayJoin },
                ExcludedStates = { tally.Excluded },
                Positions = { tally.Positions },
            },
        };
        var payload = draft.Tabled.Payload;
        switch (payload.KindCase)
        {
            case DecisionPayload.KindOneofCase.AssignChairmanship:
                events.Add(new ChairAssumed
                {
                    BodyId = SessionDecide.Council,
                    State = payload.AssignChairmanship.State,
                    FromDate = payload.AssignChairmanship.FromDate ?? effective.ToProto(),
                    Basis = ChairBasis.CouncilDecision,
                    Session = draft.Tabled.Session,
                    Decision = draft.DecisionName,
                });
                break;
            case DecisionPayload.KindOneofCase.AppointSecretaryGeneral:
                var a = payload.AppointSecretaryGeneral;
                if (ValidateAppointment(a, draft.SessionDate, roster) is { } rejection)
                {
                    return rejection;
                }

                events.Add(new SecretaryGeneralAppointed
                {
                    Decision = draft.DecisionName,
                    PersonName = a.PersonName,
                    Citizenship = a.Citizenship,
                    TermStart = a.TermStart,
                    TermEnd = a.TermEnd ?? Posts.Posts.DefaultTermEnd(a.TermStart.ToDateOnly()).ToProto(),
                    Acting = a.Acting,
                });
                break;
            case DecisionPayload.KindOneofCase.EndSecretaryGeneralTerm:
                var end = payload.EndSecretaryGeneralTerm;
                var lastDay = end.LastDay.ToDateOnly();
                if (Posts.Posts.HeldOn(terms ?? [], end.PersonName, lastDay) is not { } term)
                {
                    return Verdict.Rule("NOT_IN_OFFICE", $"{end.PersonName} does not hold the post of Secretary General on {lastDay.ToIso()}");
                }

                events.Add(new SecretaryGeneralTermEnded
                {
                    Decision = draft.DecisionName,
                    PersonName = term.PersonName,
                    LastDay = end.LastDay,
                    Reason = end.Reason,
                    Grounds = end.Grounds,
                    Appointment = term.Decision,
                });
                break;
            case DecisionPayload.KindOneofCase.EstablishBody:
                var b = payload.EstablishBody;
                if (BodyExists(b, bodies) is { } exists)
                {
                    return exists; // established by another decision since the draft was tabled
                }

                events.Add(new BodyEstablished
                {
                    BodyId = b.BodyId,
                    Name = b.Name,
                    ParentBodyId = b.ParentBodyId,
                    FoundedOn = b.FoundedOn ?? effective.ToProto(),
                    Rule = DecisionRule.Consensus,
                    AllowedKinds = { DecisionKind.General },
                    Temporary = b.Temporary,
                    Cause = new Cause { Decision = draft.DecisionName },
                });
                break;
        }

        return new Verdict(events, null);
    }

    static string Format(PositionCounts c) => string.Create(CultureInfo.InvariantCulture, $"support {c.Support}, object {c.Object}, not participating {c.NotParticipating}, absent {c.Absent}");

    public static Verdict Join(DraftState draft, RosterView roster, string state, Date? joinedOn)
    {
        if (StateCodes.Problem(state, "state") is { } badState)
        {
            return badState;
        }

        if (!joinedOn.IsValid())
        {
            return Verdict.Invalid("joined_on", "a valid date is required");
        }

        if (draft.Adopted is not { } adopted)
        {
            return Verdict.Rule("DECISION_NOT_ADOPTED", $"the draft is {draft.Status}; only an adopted decision can be joined");
        }

        var date = joinedOn!.ToDateOnly();
        if (date < adopted.EffectiveDate.ToDateOnly())
        {
            return Verdict.Invalid("joined_on", "a state cannot join before the decision takes effect");
        }

        if (adopted.BoundStates.Contains(state) || draft.Joined.Any(j => j.State == state))
        {
            return Verdict.Rule("ALREADY_BOUND", $"{state} is already bound by the decision");
        }

        if (!adopted.MayJoinStates.Contains(state))
        {
            return Verdict.Rule("STATE_MAY_NOT_JOIN", $"{state} was not absent or staying out of the decision; it may not join it");
        }

        return roster.ParticipationOn(state, date) != Participation.Voice
            ? Verdict.Rule("STATE_HAS_NO_VOICE", $"{state} is not a member with a voice on {date.ToIso()}")
            : Verdict.Accept(new DecisionJoined { Decision = draft.DecisionName, State = state, JoinedOn = joinedOn });
    }
}
