using System.Text.RegularExpressions;
using Csto.Common.V1;
using Csto.Operations.Operations;
using Csto.Operations.Outcomes;
using Csto.EventLog.Roster;
using Csto.Operations.Shared;
using Csto.Operations.V1;
using MemberStatus = Csto.Membership.V1.MemberStatus;

namespace Csto.Operations.Participants;

public sealed record JoinOperation(string State, IReadOnlyList<Agency> Agencies, Date? JoinDate);

public sealed record LeaveOperation(string State, Date? LeftOn, string Reason);

public sealed record AdmitObserver(string Observer, ObserverKind Kind, Date? AdmittedOn, string Stage);

/// <summary>
/// Who takes part: member states with a voice on the day they join, with their agencies, until the last day they
/// take part when they leave (and again from a later day when they join again); observers (non-member states and
/// international organizations) who follow the work and never report.
/// </summary>
public static partial class Participation
{
    public static Verdict Join(OperationState operation, RosterView roster, JoinOperation command)
    {
        if (StateCodes.Problem(command.State, "state") is { } badState)
        {
            return badState;
        }

        if (command.Agencies.Count == 0)
        {
            return Verdict.Invalid("agencies", "name at least one agency taking part");
        }

        for (var i = 0; i < command.Agencies.Count; i++)
        {
            if (command.Agencies[i] == Agency.Unspecified || !Enum.IsDefined(command.Agencies[i]))
            {
                return Verdict.Invalid($"agencies[{i}]", "unknown agency");
            }
        }

        if (!Dates.TryGet(command.JoinDate, out var day))
        {
            return Verdict.Invalid("join_date", "a valid date is required");
        }

        if (operation.Closed || day > operation.End)
        {
            return Verdict.Rule("OPERATION_CLOSED", $"{operation.Name} ended on {operation.End?.ToIso()}");
        }

        if (day < operation.Start)
        {
            return Verdict.Rule("DATE_OUTSIDE_OPERATION", $"{operation.Name} starts on {operation.Start.ToIso()}");
        }

        if (operation.Participants.TryGetValue(command.State!, out var participant))
        {
            if (!participant.HasLeft)
            {
                return Verdict.Rule("ALREADY_PARTICIPANT", $"{command.State} takes part since {participant.JoinDate.ToIso()}");
            }

            if (day <= participant.LeftOn)
            {
                return Verdict.Rule("REJOINING_BEFORE_LEAVING", $"{command.State} took part until {participant.LeftOn?.ToIso()}; it joins again from a later day");
            }
        }

        if (operation.Observers.ContainsKey(command.State!))
        {
            return Verdict.Rule("ALREADY_OBSERVER", $"{command.State} observes {operation.Name}");
        }

        if (!roster.HasVoice(command.State!, day))
        {
            return Verdict.Rule("STATE_HAS_NO_VOICE", $"{command.State} is not a member with a voice on {day.ToIso()} (status {roster.StatusOn(command.State!, day)})");
        }

        var joined = new ParticipantJoined { Operation = operation.Name, State = command.State, JoinDate = day.ToProto() };
        joined.Agencies.AddRange(command.Agencies.Distinct());
        return Verdict.Accept(joined);
    }

    /// <summary>
    /// The periods a state really took part: its recorded periods (joining to leaving), each cut where its voice paused
    /// (suspended, frozen, no longer a member: from the roster, by effective date) and resumed where the voice came back,
    /// and an open period ended on the operation's last day once the operation has ended (closed, or its end date before
    /// <paramref name="asOf"/>). Each period's reason_left says why it ended.
    /// </summary>
    public static IReadOnlyList<ParticipantPeriod> RealPeriods(ParticipantState participant, OperationState operation, RosterView roster, DateOnly asOf)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(roster);
        var ended = operation.End is { } end && (operation.Closed || end < asOf) ? end : (DateOnly?)null;
        var changes = roster.ChangesOf(participant.State);
        var real = new List<ParticipantPeriod>();
        foreach (var recorded in participant.Periods)
        {
            var (last, reason) = recorded.LeftOn is { } left ? (left, recorded.ReasonLeft)
                : ended is { } e ? (e, $"the operation ended on {e.ToIso()}")
                : ((DateOnly?)null, "");
            if (last is { } l && ended is { } opEnd && l > opEnd)
            {
                (last, reason) = (opEnd, $"the operation ended on {opEnd.ToIso()}");
            }

            // the voice at the first day, then each change of status inside the period
            DateOnly? from = changes.Count == 0 || roster.HasVoice(participant.State, recorded.JoinDate) ? recorded.JoinDate : null;
            foreach (var change in changes.Where(c => c.EffectiveDate > recorded.JoinDate && (last is null || c.EffectiveDate <= last)))
            {
                var voice = roster.HasVoice(participant.State, change.EffectiveDate);
                if (from is { } start && !voice)
                {
                    real.Add(new ParticipantPeriod(start, change.EffectiveDate.AddDays(-1), $"{Paused(change.Status)} from {change.EffectiveDate.ToIso()}"));
                    from = null;
                }
                else if (from is null && voice)
                {
                    from = change.EffectiveDate;
                }
            }

            if (from is { } open)
            {
                real.Add(new ParticipantPeriod(open, last, reason));
            }
        }

        return real;
    }

    static string Paused(MemberStatus status) => status switch
    {
        MemberStatus.Suspended => "its participation in the CSTO was suspended",
        MemberStatus.Frozen => "its participation in the CSTO was frozen",
        _ => $"it was no longer a member with a voice ({status})",
    };

    public static Verdict Leave(OperationState operation, LeaveOperation command)
    {
        if (StateCodes.Problem(command.State, "state") is { } badState)
        {
            return badState;
        }

        if (!Dates.TryGet(command.LeftOn, out var day))
        {
            return Verdict.Invalid("left_on", "a valid date is required");
        }

        var reason = (command.Reason ?? "").Trim();
        if (reason.Length > 1000)
        {
            return Verdict.Invalid("reason", "at most 1,000 characters");
        }

        if (!operation.Participants.TryGetValue(command.State!, out var participant))
        {
            return Verdict.Rule("NOT_A_PARTICIPANT", $"{command.State} does not take part in {operation.Name}");
        }

        if (participant.HasLeft)
        {
            return Verdict.Rule("ALREADY_LEFT", $"{command.State} left {operation.Name} on {participant.LeftOn?.ToIso()}");
        }

        if (day < participant.JoinDate)
        {
            return Verdict.Rule("LEAVING_BEFORE_JOINING", $"{command.State} joined {operation.Name} on {participant.JoinDate.ToIso()}");
        }

        if (operation.Closed || day > operation.End)
        {
            return Verdict.Rule("OPERATION_CLOSED", $"{operation.Name} ended on {operation.End?.ToIso()}; its participation ended with it");
        }

        var late = operation.Reports.Values.Where(r => r.State == command.State && r.ReportDate > day).OrderBy(r => r.ReportDate).ToList();
        if (late.Count > 0)
        {
            return Verdict.Rule("REPORTS_AFTER_LEAVING", $"{late.Count} report(s) of {command.State} are dated after {day.ToIso()}, e.g. {late[0].Name}");
        }

        return Verdict.Accept(new ParticipantLeft { Operation = operation.Name, State = command.State, LeftOn = day.ToProto(), Reason = reason });
    }

    public static Verdict Admit(OperationState operation, RosterView roster, AdmitObserver command)
    {
        var code = command.Observer ?? "";
        switch (command.Kind)
        {
            case ObserverKind.State when StateCodes.Problem(code, "observer") is { } badState:
                return badState;
            case ObserverKind.Organization when !ObserverCodes.IsOrganization(code):
                return Verdict.Invalid("observer", "code of an organization in capitals, e.g. UNODC, INTERPOL, OSCE, EUROPOL");
            case ObserverKind.State or ObserverKind.Organization:
                break;
            default:
                return Verdict.Invalid("kind", "state or organization");
        }

        if (!Dates.TryGet(command.AdmittedOn, out var day))
        {
            return Verdict.Invalid("admitted_on", "a valid date is required");
        }

        var stage = command.Stage ?? "";
        if (stage.Length > 0 && !operation.Stages.ContainsKey(stage))
        {
            return Verdict.Rule("UNKNOWN_STAGE", $"{operation.Name} has no stage '{stage}'");
        }

        if (operation.Closed || day > operation.End)
        {
            return Verdict.Rule("OPERATION_CLOSED", $"{operation.Name} ended on {operation.End?.ToIso()}");
        }

        if (day < operation.Start)
        {
            return Verdict.Rule("DATE_OUTSIDE_OPERATION", $"{operation.Name} starts on {operation.Start.ToIso()}");
        }

        if (command.Kind == ObserverKind.State && roster.IsMember(code, day))
        {
            return Verdict.Rule("OBSERVER_IS_MEMBER", $"{code} is a member on {day.ToIso()}; members take part as participants");
        }

        if (operation.Participants.TryGetValue(code, out var participant) && !participant.HasLeft)
        {
            return Verdict.Rule("ALREADY_PARTICIPANT", $"{code} takes part in {operation.Name}");
        }

        if (operation.Observers.ContainsKey(code))
        {
            return Verdict.Rule("ALREADY_OBSERVER", $"{code} observes {operation.Name}");
        }

        return Verdict.Accept(new ObserverAdmitted { Operation = operation.Name, Observer = code, Kind = command.Kind, AdmittedOn = day.ToProto(), Stage = stage });
    }
}
