using System.Text.RegularExpressions;
using Csto.Common.V1;
using Csto.Operations.Operations;
using Csto.Operations.Outcomes;
using Csto.Operations.Roster;
using Csto.Operations.Shared;
using Csto.Operations.V1;

namespace Csto.Operations.Participants;

public sealed record JoinOperation(string State, IReadOnlyList<Agency> Agencies, Date? JoinDate);

public sealed record AdmitObserver(string Observer, ObserverKind Kind, Date? AdmittedOn, string Stage);

/// <summary>
/// Who takes part: member states with a voice on the day they join, with their agencies; observers (non-member
/// states and international organizations) who follow the work and never report.
/// </summary>
public static partial class Participation
{
    [GeneratedRegex("^[A-Z][A-Z0-9-]{1,15}$")]
    private static partial Regex OrganizationCode();

    public static Decided Join(OperationState operation, RosterView roster, JoinOperation command)
    {
        if (!Figures.IsIso3(command.State ?? ""))
        {
            return Decided.Invalid("state", "ISO 3166-1 alpha-3 code, e.g. KAZ");
        }

        if (command.Agencies.Count == 0)
        {
            return Decided.Invalid("agencies", "name at least one agency taking part");
        }

        for (var i = 0; i < command.Agencies.Count; i++)
        {
            if (command.Agencies[i] == Agency.Unspecified || !Enum.IsDefined(command.Agencies[i]))
            {
                return Decided.Invalid($"agencies[{i}]", "unknown agency");
            }
        }

        if (!DateValues.TryGet(command.JoinDate, out var day))
        {
            return Decided.Invalid("join_date", "a valid date is required");
        }

        if (operation.Closed || day > operation.End)
        {
            return Decided.Broken("OPERATION_CLOSED", $"{operation.Name} ended on {operation.End?.Iso()}");
        }

        if (day < operation.Start)
        {
            return Decided.Broken("DATE_OUTSIDE_OPERATION", $"{operation.Name} starts on {operation.Start.Iso()}");
        }

        if (operation.Participants.ContainsKey(command.State!))
        {
            return Decided.Broken("ALREADY_PARTICIPANT", $"{command.State} takes part since {operation.Participants[command.State!].JoinDate.Iso()}");
        }

        if (operation.Observers.ContainsKey(command.State!))
        {
            return Decided.Broken("ALREADY_OBSERVER", $"{command.State} observes {operation.Name}");
        }

        if (!roster.HasVoice(command.State!, day))
        {
            return Decided.Broken("STATE_HAS_NO_VOICE", $"{command.State} is not a member with a voice on {day.Iso()} (status {roster.StatusOn(command.State!, day)})");
        }

        var joined = new ParticipantJoined { Operation = operation.Name, State = command.State, JoinDate = day.ToDate() };
        joined.Agencies.AddRange(command.Agencies.Distinct());
        return Decided.Ok(joined);
    }

    public static Decided Admit(OperationState operation, RosterView roster, AdmitObserver command)
    {
        var code = command.Observer ?? "";
        switch (command.Kind)
        {
            case ObserverKind.State when !Figures.IsIso3(code):
                return Decided.Invalid("observer", "ISO 3166-1 alpha-3 code of a state, e.g. IRN");
            case ObserverKind.Organization when !OrganizationCode().IsMatch(code):
                return Decided.Invalid("observer", "code of an organization in capitals, e.g. UNODC, INTERPOL, OSCE, EUROPOL");
            case ObserverKind.State or ObserverKind.Organization:
                break;
            default:
                return Decided.Invalid("kind", "state or organization");
        }

        if (!DateValues.TryGet(command.AdmittedOn, out var day))
        {
            return Decided.Invalid("admitted_on", "a valid date is required");
        }

        var stage = command.Stage ?? "";
        if (stage.Length > 0 && !operation.Stages.ContainsKey(stage))
        {
            return Decided.Broken("UNKNOWN_STAGE", $"{operation.Name} has no stage '{stage}'");
        }

        if (operation.Closed || day > operation.End)
        {
            return Decided.Broken("OPERATION_CLOSED", $"{operation.Name} ended on {operation.End?.Iso()}");
        }

        if (day < operation.Start)
        {
            return Decided.Broken("DATE_OUTSIDE_OPERATION", $"{operation.Name} starts on {operation.Start.Iso()}");
        }

        if (command.Kind == ObserverKind.State && roster.IsMember(code, day))
        {
            return Decided.Broken("OBSERVER_IS_MEMBER", $"{code} is a member on {day.Iso()}; members take part as participants");
        }

        if (operation.Participants.ContainsKey(code))
        {
            return Decided.Broken("ALREADY_PARTICIPANT", $"{code} takes part in {operation.Name}");
        }

        if (operation.Observers.ContainsKey(code))
        {
            return Decided.Broken("ALREADY_OBSERVER", $"{code} observes {operation.Name}");
        }

        return Decided.Ok(new ObserverAdmitted { Operation = operation.Name, Observer = code, Kind = command.Kind, AdmittedOn = day.ToDate(), Stage = stage });
    }
}
