using System.Globalization;
using Csto.Bodies.Bodies;
using Csto.Bodies.Posts;
using Csto.Bodies.Roster;
using Csto.Bodies.Sessions;
using Csto.Bodies.Shared;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.Membership.V1;
using Google.Protobuf;

namespace Csto.Bodies.Drafts;

public sealed record TableDraft(string DraftId, string Title, DecisionPayload? Payload, bool Procedural, Date? EffectiveDate);

public sealed record CloseDraft(CloseAction Action, PositionCounts? ExpectedCounts, string Reason);

/// <summary>The charter's decision rules as pure functions: state and command in, events or a rejection out.</summary>
public static class DraftDecide
{
    /// <summary>The 2010 protocol amending the Charter (limited format) entered into force on this date.</summary>
    public static readonly DateOnly LimitedFormatInForce = new(2012, 12, 19);

    public static Verdict Table(SessionInfo session, BodyInfo body, IReadOnlyDictionary<string, BodyInfo> bodies, RosterHistory roster, TableDraft command)
    {
        if (string.IsNullOrWhiteSpace(command.Title))
        {
            return Verdict.Field("title", "a title is required");
        }

        var kind = DecisionKinds.Of(command.Payload);
        if (kind == DecisionKind.Unspecified)
        {
            return Verdict.Field("payload", "the kind of decision (one of the payload's fields) is required");
        }

        if (command.EffectiveDate is not null && !command.EffectiveDate.IsValid())
        {
            return Verdict.Field("effective_date", "not a valid date");
        }

        if (command.EffectiveDate is not null && command.EffectiveDate.ToDateOnly() < session.Date)
        {
            return Verdict.Field("effective_date", "a decision cannot take effect before the session that takes it");
        }

        if (!body.AllowedKinds.Contains(kind))
        {
            return Verdict.Rule("KIND_NOT_ALLOWED_FOR_BODY", $"{body.Name} may not take a decision of kind {kind}");
        }

        if (command.Procedural && !body.ProceduralByMajority)
        {
            return Verdict.Rule("NO_PROCEDURAL_MAJORITY", $"the rules of procedure of {body.Name} decide no question by simple majority");
        }

        if (ValidatePayload(command.Payload!, session.Date, bodies, roster) is { } rejection)
        {
            return rejection;
        }

        return Verdict.Accept(new DraftTabled
        {
            Draft = "drafts/" + command.DraftId,
            Session = session.Name,
            BodyId = body.Id,
            SessionDate = session.Date.ToProto(),
            Title = command.Title,
            Payload = command.Payload,
            Procedural = command.Procedural,
            EffectiveDate = command.EffectiveDate,
        });
    }

    static Rejection? ValidatePayload(DecisionPayload payload, DateOnly date, IReadOnlyDictionary<string, BodyInfo> bodies, RosterHistory roster)
    {
        switch (payload.KindCase)
        {
            case DecisionPayload.KindOneofCase.AdmitMember:
                return StateField(payload.AdmitMember.State, "payload.admit_member.state")
                    ?? OptionalDate(payload.AdmitMember.EffectiveDate, "payload.admit_member.effective_date")
                    ?? (roster.StatusOn(payload.AdmitMember.State, date) is MemberStatus.Member or MemberStatus.Suspended or MemberStatus.Frozen
                        ? new RuleViolation("ALREADY_A_MEMBER", $"{payload.AdmitMember.State} is already a member on {date.ToIso()}")
                        : null);
            case DecisionPayload.KindOneofCase.SuspendMember:
                return StateField(payload.SuspendMember.State, "payload.suspend_member.state")
                    ?? OptionalDate(payload.SuspendMember.EffectiveDate, "payload.suspend_member.effective_date")
                    ?? (roster.StatusOn(payload.SuspendMember.State, date) is MemberStatus.Member or MemberStatus.Frozen
                        ? null
                        : new RuleViolation("NOT_A_PARTICIPATING_MEMBER", $"{payload.SuspendMember.State} is not a member whose participation can be suspended on {date.ToIso()}"));
            case DecisionPayload.KindOneofCase.RestoreMember:
                return StateField(payload.RestoreMember.State, "payload.restore_member.state")
                    ?? OptionalDate(payload.RestoreMember.EffectiveDate, "payload.restore_member.effective_date")
                    ?? (roster.StatusOn(payload.RestoreMember.State, date) == MemberStatus.Suspended
                        ? null
                        : new RuleViolation("NOT_SUSPENDED", $"{payload.RestoreMember.State} is not suspended on {date.ToIso()}"));
            case DecisionPayload.KindOneofCase.ExcludeMember:
                return StateField(payload.ExcludeMember.State, "payload.exclude_member.state")
                    ?? OptionalDate(payload.ExcludeMember.EffectiveDate, "payload.exclude_member.effective_date")
                    ?? (roster.StatusOn(payload.ExcludeMember.State, date) is MemberStatus.Member or MemberStatus.Suspended or MemberStatus.Frozen
                        ? null
                        : new RuleViolation("NOT_A_MEMBER", $"{payload.ExcludeMember.State} is not a member on {date.ToIso()}"));
            case DecisionPayload.KindOneofCase.AppointSecretaryGeneral:
                return ValidateAppointment(payload.AppointSecretaryGeneral, date, roster);
            case DecisionPayload.KindOneofCase.EstablishBody:
                var b = payload.EstablishBody;
                if (!StateCodes.IsValidId(b.BodyId))
                {
                    return new FieldViolation("payload.establish_body.body_id", "lower-case letters, digits and '-', up to 63");
                }

                if (string.IsNullOrWhiteSpace(b.Name))
                {
                    return new FieldViolation("payload.establish_body.name", "a name is required");
                }

                if (!bodies.ContainsKey(b.ParentBodyId))
                {
                    return new FieldViolation("payload.establish_body.parent_body_id", $"unknown body '{b.ParentBodyId}'");
                }

                return OptionalDate(b.FoundedOn, "payload.establish_body.founded_on")
                    ?? (bodies.ContainsKey(b.BodyId) ? new RuleViolation("BODY_ALREADY_EXISTS", $"body '{b.BodyId}' exists") : null);
            case DecisionPayload.KindOneofCase.AuthorizeOperation:
                var o = payload.AuthorizeOperation;
                if (string.IsNullOrWhiteSpace(o.Name))
                {
                    return new FieldViolation("payload.authorize_operation.name", "a name is required");
                }

                if (o.Kind == OperationKind.Unspecified)
                {
                    return new FieldViolation("payload.authorize_operation.kind", "the kind of operation is required");
                }

                if (!o.StartDate.IsValid())
                {
                    return new FieldViolation("payload.authorize_operation.start_date", "a valid start date is required");
                }

                if (o.Permanent == (o.EndDate is not null))
                {
                    return new FieldViolation("payload.authorize_operation.end_date", "either an end date or permanent, not both");
                }

                if (o.EndDate is not null && (!o.EndDate.IsValid() || o.EndDate.ToDateOnly() < o.StartDate.ToDateOnly()))
                {
                    return new FieldViolation("payload.authorize_operation.end_date", "a valid date not before the start");
                }

                return o.Kind == OperationKind.Peacekeeping && o.OutsideMemberTerritory && string.IsNullOrWhiteSpace(o.UnMandateReference)
                    ? new RuleViolation("UN_MANDATE_REQUIRED", "peacekeeping outside the members' territory needs a UN Security Council mandate")
                    : null;
            case DecisionPayload.KindOneofCase.ExtendOperation:
                return string.IsNullOrWhiteSpace(payload.ExtendOperation.Name) ? new FieldViolation("payload.extend_operation.name", "a name is required") : null;
            case DecisionPayload.KindOneofCase.ConcludeOperation:
                return string.IsNullOrWhiteSpace(payload.ConcludeOperation.Name) ? new FieldViolation("payload.conclude_operation.name", "a name is required") : null;
            case DecisionPayload.KindOneofCase.AssignChairmanship:
                return StateField(payload.AssignChairmanship.State, "payload.assign_chairmanship.state")
                    ?? OptionalDate(payload.AssignChairmanship.FromDate, "payload.assign_chairmanship.from_date")
                    ?? (roster.ParticipationOn(payload.AssignChairmanship.State, date) == Participation.Voice
                        ? null
                        : new RuleViolation("CHAIR_NOT_A_MEMBER_WITH_VOICE", $"{payload.AssignChairmanship.State} is not a member with a voice on {date.ToIso()}"));
            default:
                return null;
        }
    }

    static Rejection? ValidateAppointment(AppointSecretaryGeneral a, DateOnly date, RosterHistory roster)
    {
        if (string.IsNullOrWhiteSpace(a.PersonName))
        {
            return new FieldViolation("payload.appoint_secretary_general.person_name", "the appointee's name is required");
        }

        if (StateField(a.Citizenship, "payload.appoint_secretary_general.citizenship") is { } bad)
        {
            return bad;
        }

        if (!a.TermStart.IsValid())
        {
            return new FieldViolation("payload.appoint_secretary_general.term_start", "a valid start of the term is required");
        }

        if (a.TermEnd is not null)
        {
            if (!a.TermEnd.IsValid() || a.TermEnd.ToDateOnly() < a.TermStart.ToDateOnly())
            {
                return new FieldViolation("payload.appoint_secretary_general.term_end", "a valid date not before the start");
            }

            if (a.TermEnd.ToDateOnly() > Posts.Posts.DefaultTermEnd(a.TermStart.ToDateOnly()))
            {
                return new RuleViolation("TERM_LONGER_THAN_THREE_YEARS", "the Secretary General is appointed for three years");
            }
        }

        return roster.ParticipationOn(a.Citizenship, date) == Participation.Voice
            ? null
            : new RuleViolation("APPOINTEE_NOT_CITIZEN_OF_MEMBER_WITH_VOICE", $"{a.Citizenship} is not a member with a voice on {date.ToIso()}");
    }

    static Rejection? StateField(string state, string field) =>
        StateCodes.IsValid(state) ? null : new FieldViolation(field, "an ISO 3166-1 alpha-3 code is required, e.g. KAZ");

    static Rejection? OptionalDate(Date? date, string field) =>
        date is null || date.IsValid() ? null : new FieldViolation(field, "not a valid date");

    public static Verdict RecordPosition(DraftState draft, RosterHistory roster, string state, Position position)
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

    public static Verdict ChangePosition(DraftState draft, RosterHistory roster, string state, Position position)
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
            ? Verdict.Field("position", $"{state} already holds the position {position}")
            : Verdict.Accept(new PositionChanged { Draft = draft.DraftName, State = state, OldPosition = held, NewPosition = position });
    }

    static Rejection? CheckPosition(DraftState draft, RosterHistory roster, string state, Position position)
    {
        if (!StateCodes.IsValid(state))
        {
            return new FieldViolation("state", "an ISO 3166-1 alpha-3 code is required, e.g. KAZ");
        }

        if (position == Position.Unspecified || !Enum.IsDefined(position))
        {
            return new FieldViolation("position", "one of support, object, not participating, absent");
        }

        if (draft.Status != DraftStatus.Open)
        {
            return new RuleViolation("DRAFT_CLOSED", $"the draft is {draft.Status}; positions are taken only on an open draft");
        }

        if (string.Equals(DecisionKinds.StateConcerned(draft.Tabled.Payload), state, StringComparison.Ordinal))
        {
            return new RuleViolation("STATE_CONCERNED_HAS_NO_VOICE", $"the decision is about {state}; it is taken without its voice");
        }

        var date = draft.SessionDate;
        switch (roster.ParticipationOn(state, date))
        {
            case Participation.NoVoice:
                return new RuleViolation("STATE_HAS_NO_VOICE", $"{state} is {Describe(roster.StatusOn(state, date))} on {date.ToIso()}: no voice");
            case Participation.Frozen when position is Position.Support or Position.Object:
                return new RuleViolation("PARTICIPATION_FROZEN", $"{state} froze its participation: it takes no part and does not block");
        }

        if (position == Position.NotParticipating && date < LimitedFormatInForce)
        {
            return new RuleViolation("LIMITED_FORMAT_NOT_IN_FORCE", $"staying out without objecting (limited format) exists only from {LimitedFormatInForce.ToIso()}");
        }

        return null;
    }

    static string Describe(MemberStatus status) => status switch
    {
        MemberStatus.Unspecified => "not a member",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <summary>Every position that counts, and the states without a voice, on the session date.</summary>
    public sealed record Tally(IReadOnlyList<StatePosition> Positions, IReadOnlyList<string> Excluded)
    {
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
    public static Tally Count(DraftState draft, RosterHistory roster)
    {
        var date = draft.SessionDate;
        var concerned = DecisionKinds.StateConcerned(draft.Tabled.Payload);
        var positions = new List<StatePosition>();
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

        return new Tally(positions, [.. excluded]);
    }

    public static Verdict Close(DraftState draft, BodyInfo body, IReadOnlyDictionary<string, BodyInfo> bodies, RosterHistory roster, CloseDraft command)
    {
        if (command.Action is not (CloseAction.Decide or CloseAction.Withdraw))
        {
            return Verdict.Field("action", "decide or withdraw");
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
                        + (limited ? $" Not participating, not bound: {string.Join(", ", tally.With(Position.NotParticipating))}." : "")
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
            case DecisionPayload.KindOneofCase.EstablishBody:
                var b = payload.EstablishBody;
                if (bodies.ContainsKey(b.BodyId))
                {
                    return Verdict.Rule("BODY_ALREADY_EXISTS", $"body '{b.BodyId}' exists");
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

    public static Verdict Join(DraftState draft, RosterHistory roster, string state, Date? joinedOn)
    {
        if (!StateCodes.IsValid(state))
        {
            return Verdict.Field("state", "an ISO 3166-1 alpha-3 code is required, e.g. KAZ");
        }

        if (!joinedOn.IsValid())
        {
            return Verdict.Field("joined_on", "a valid date is required");
        }

        if (draft.Adopted is not { } adopted)
        {
            return Verdict.Rule("DECISION_NOT_ADOPTED", $"the draft is {draft.Status}; only an adopted decision can be joined");
        }

        var date = joinedOn!.ToDateOnly();
        if (date < adopted.EffectiveDate.ToDateOnly())
        {
            return Verdict.Field("joined_on", "a state cannot join before the decision takes effect");
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
