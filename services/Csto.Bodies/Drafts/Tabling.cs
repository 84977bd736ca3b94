using Csto.Bodies.Bodies;
using Csto.Bodies.Sessions;
using Csto.Bodies.Shared;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog.Roster;
using Csto.Membership.V1;

namespace Csto.Bodies.Drafts;

public sealed record TableDraft(string DraftId, string Title, DecisionPayload? Payload, bool Procedural, Date? EffectiveDate);

public sealed record CloseDraft(CloseAction Action, PositionCounts? ExpectedCounts, string Reason);

/// <summary>The charter's decision rules as pure functions: state and command in, events or a violation out. Tabling a draft and its payload.</summary>
public static partial class DraftDecide
{
    /// <summary>The 2010 protocol amending the Charter (limited format) entered into force on this date.</summary>
    public static readonly DateOnly LimitedFormatInForce = new(2012, 12, 19);

    public static Verdict Table(SessionInfo session, BodyInfo body, IReadOnlyDictionary<string, BodyInfo> bodies, RosterView roster, TableDraft command)
    {
        if (string.IsNullOrWhiteSpace(command.Title))
        {
            return Verdict.Invalid("title", "a title is required");
        }

        var kind = DecisionKinds.Of(command.Payload);
        if (kind == DecisionKind.Unspecified)
        {
            return Verdict.Invalid("payload", "the kind of decision (one of the payload's fields) is required");
        }

        if (command.EffectiveDate is not null && !command.EffectiveDate.IsValid())
        {
            return Verdict.Invalid("effective_date", "not a valid date");
        }

        if (command.EffectiveDate is not null && command.EffectiveDate.ToDateOnly() < session.Date)
        {
            return Verdict.Invalid("effective_date", "a decision cannot take effect before the session that takes it");
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

    static Violation? ValidatePayload(DecisionPayload payload, DateOnly date, IReadOnlyDictionary<string, BodyInfo> bodies, RosterView roster)
    {
        switch (payload.KindCase)
        {
            case DecisionPayload.KindOneofCase.AdmitMember:
                return StateField(payload.AdmitMember.State, "payload.admit_member.state")
                    ?? OptionalDate(payload.AdmitMember.EffectiveDate, "payload.admit_member.effective_date")
                    ?? (roster.StatusOn(payload.AdmitMember.State, date) is MemberStatus.Member or MemberStatus.Suspended or MemberStatus.Frozen
                        ? new RuleBroken("ALREADY_A_MEMBER", $"{payload.AdmitMember.State} is already a member on {date.ToIso()}")
                        : null);
            case DecisionPayload.KindOneofCase.SuspendMember:
                return StateField(payload.SuspendMember.State, "payload.suspend_member.state")
                    ?? OptionalDate(payload.SuspendMember.EffectiveDate, "payload.suspend_member.effective_date")
                    ?? (roster.StatusOn(payload.SuspendMember.State, date) is MemberStatus.Member or MemberStatus.Frozen
                        ? null
                        : new RuleBroken("NOT_A_PARTICIPATING_MEMBER", $"{payload.SuspendMember.State} is not a member whose participation can be suspended on {date.ToIso()}"));
            case DecisionPayload.KindOneofCase.RestoreMember:
                return StateField(payload.RestoreMember.State, "payload.restore_member.state")
                    ?? OptionalDate(payload.RestoreMember.EffectiveDate, "payload.restore_member.effective_date")
                    ?? (roster.StatusOn(payload.RestoreMember.State, date) == MemberStatus.Suspended
                        ? null
                        : new RuleBroken("NOT_SUSPENDED", $"{payload.RestoreMember.State} is not suspended on {date.ToIso()}"));
            case DecisionPayload.KindOneofCase.ExcludeMember:
                return StateField(payload.ExcludeMember.State, "payload.exclude_member.state")
                    ?? OptionalDate(payload.ExcludeMember.EffectiveDate, "payload.exclude_member.effective_date")
                    ?? (roster.StatusOn(payload.ExcludeMember.State, date) is MemberStatus.Member or MemberStatus.Suspended or MemberStatus.Frozen
                        ? null
                        : new RuleBroken("NOT_A_MEMBER", $"{payload.ExcludeMember.State} is not a member on {date.ToIso()}"));
            case DecisionPayload.KindOneofCase.AppointSecretaryGeneral:
                return ValidateAppointment(payload.AppointSecretaryGeneral, date, roster);
            case DecisionPayload.KindOneofCase.EstablishBody:
                var b = payload.EstablishBody;
                if (!Ids.IsValidId(b.BodyId))
                {
                    return new InvalidField("payload.establish_body.body_id", "lower-case letters, digits and '-', up to 63");
                }

                if (string.IsNullOrWhiteSpace(b.Name))
                {
                    return new InvalidField("payload.establish_body.name", "a name is required");
                }

                if (!bodies.ContainsKey(b.ParentBodyId))
                {
                    return new InvalidField("payload.establish_body.parent_body_id", $"unknown body '{b.ParentBodyId}'");
                }

                return OptionalDate(b.FoundedOn, "payload.establish_body.founded_on") ?? BodyExists(b, bodies);
            case DecisionPayload.KindOneofCase.AuthorizeOperation:
                var o = payload.AuthorizeOperation;
                if (string.IsNullOrWhiteSpace(o.Name))
                {
                    return new InvalidField("payload.authorize_operation.name", "a name is required");
                }

                if (o.Kind == OperationKind.Unspecified)
                {
                    return new InvalidField("payload.authorize_operation.kind", "the kind of operation is required");
                }

                if (!o.StartDate.IsValid())
                {
                    return new InvalidField("payload.authorize_operation.start_date", "a valid start date is required");
                }

                if (o.Permanent == (o.EndDate is not null))
                {
                    return new InvalidField("payload.authorize_operation.end_date", "either an end date or permanent, not both");
                }

                if (o.EndDate is not null && (!o.EndDate.IsValid() || o.EndDate.ToDateOnly() < o.StartDate.ToDateOnly()))
                {
                    return new InvalidField("payload.authorize_operation.end_date", "a valid date not before the start");
                }

                if (o.Kind == OperationKind.CrisisResponse)
                {
                    // Article 4 of the Treaty: the collective forces are sent at the request of the state concerned
                    if (string.IsNullOrWhiteSpace(o.RequestedBy))
                    {
                        return new InvalidField("payload.authorize_operation.requested_by", "a crisis response names the state that asked for help (ISO alpha-3)");
                    }

                    if (StateField(o.RequestedBy, "payload.authorize_operation.requested_by") is { } badRequester)
                    {
                        return badRequester;
                    }

                    if (!roster.HasVoice(o.RequestedBy, date))
                    {
                        return new RuleBroken("REQUESTING_STATE_NOT_A_MEMBER", $"{o.RequestedBy} is not a member with a voice on {date.ToIso()}; only a member asks for the collective forces");
                    }

                    if (string.IsNullOrWhiteSpace(o.LegalBasis))
                    {
                        return new InvalidField("payload.authorize_operation.legal_basis", "the legal basis of the request is required, e.g. \"Collective Security Treaty, Article 4\"");
                    }
                }
                else if (o.RequestedBy.Length > 0 && StateField(o.RequestedBy, "payload.authorize_operation.requested_by") is { } badRequester)
                {
                    return badRequester;
                }

                return o.Kind == OperationKind.Peacekeeping && o.OutsideMemberTerritory && string.IsNullOrWhiteSpace(o.UnMandateReference)
                    ? new RuleBroken("UN_MANDATE_REQUIRED", "peacekeeping outside the members' territory needs a UN Security Council mandate")
                    : null;
            case DecisionPayload.KindOneofCase.ExtendOperation:
                return string.IsNullOrWhiteSpace(payload.ExtendOperation.Name) ? new InvalidField("payload.extend_operation.name", "a name is required") : null;
            case DecisionPayload.KindOneofCase.ConcludeOperation:
                return string.IsNullOrWhiteSpace(payload.ConcludeOperation.Name) ? new InvalidField("payload.conclude_operation.name", "a name is required") : null;
            case DecisionPayload.KindOneofCase.EndSecretaryGeneralTerm:
                var end = payload.EndSecretaryGeneralTerm;
                if (string.IsNullOrWhiteSpace(end.PersonName))
                {
                    return new InvalidField("payload.end_secretary_general_term.person_name", "the holder's name is required");
                }

                if (!end.LastDay.IsValid())
                {
                    return new InvalidField("payload.end_secretary_general_term.last_day", "a valid last day in office is required");
                }

                return end.Reason == TermEndReason.Unspecified || !Enum.IsDefined(end.Reason)
                    ? new InvalidField("payload.end_secretary_general_term.reason", "recalled, resigned or other")
                    : null;
            case DecisionPayload.KindOneofCase.AssignChairmanship:
                return StateField(payload.AssignChairmanship.State, "payload.assign_chairmanship.state")
                    ?? OptionalDate(payload.AssignChairmanship.FromDate, "payload.assign_chairmanship.from_date")
                    ?? (roster.ParticipationOn(payload.AssignChairmanship.State, date) == Participation.Voice
                        ? null
                        : new RuleBroken("CHAIR_NOT_A_MEMBER_WITH_VOICE", $"{payload.AssignChairmanship.State} is not a member with a voice on {date.ToIso()}"));
            default:
                return null;
        }
    }

    static Violation? ValidateAppointment(AppointSecretaryGeneral a, DateOnly date, RosterView roster)
    {
        if (string.IsNullOrWhiteSpace(a.PersonName))
        {
            return new InvalidField("payload.appoint_secretary_general.person_name", "the appointee's name is required");
        }

        if (StateField(a.Citizenship, "payload.appoint_secretary_general.citizenship") is { } bad)
        {
            return bad;
        }

        if (!a.TermStart.IsValid())
        {
            return new InvalidField("payload.appoint_secretary_general.term_start", "a valid start of the term is required");
        }

        if (a.TermEnd is not null)
        {
            if (!a.TermEnd.IsValid() || a.TermEnd.ToDateOnly() < a.TermStart.ToDateOnly())
            {
                return new InvalidField("payload.appoint_secretary_general.term_end", "a valid date not before the start");
            }

            if (a.TermEnd.ToDateOnly() > Posts.Posts.DefaultTermEnd(a.TermStart.ToDateOnly()))
            {
                return new RuleBroken("TERM_LONGER_THAN_THREE_YEARS", "the Secretary General is appointed for three years");
            }
        }

        return roster.ParticipationOn(a.Citizenship, date) == Participation.Voice
            ? null
            : new RuleBroken("APPOINTEE_NOT_CITIZEN_OF_MEMBER_WITH_VOICE", $"{a.Citizenship} is not a member with a voice on {date.ToIso()}");
    }

    /// <summary>
    /// A body exists once: establishing one whose id is taken, or with the same name under the same parent (the
    /// Military Committee under the Council of Defence Ministers), is ALREADY_EXISTS naming the existing body.
    /// </summary>
    public static Violation? BodyExists(EstablishBody b, IReadOnlyDictionary<string, BodyInfo> bodies)
    {
        if (bodies.TryGetValue(b.BodyId, out var same))
        {
            return new ResourceExists("bodies/" + same.Id, $"bodies/{same.Id} ({same.Name}) exists since {same.FoundedOn.ToIso()}");
        }

        var twin = bodies.Values.FirstOrDefault(x => x.ParentId == b.ParentBodyId && BodyInfo.NameKey(x.Name) == BodyInfo.NameKey(b.Name));
        return twin is null
            ? null
            : new ResourceExists("bodies/" + twin.Id, $"bodies/{twin.Id} ({twin.Name}) exists under '{twin.ParentId}' since {twin.FoundedOn.ToIso()}; a body is established once");
    }

    static Violation? StateField(string state, string field) => StateCodes.Problem(state, field);

    static Violation? OptionalDate(Date? date, string field) =>
        date is null || date.IsValid() ? null : new InvalidField(field, "not a valid date");
}
