using Csto.Common.V1;
using Csto.Operations.Operations;
using Csto.EventLog.Roster;
using Csto.Operations.Shared;
using Csto.Operations.V1;

namespace Csto.Operations.Outcomes;

public sealed record ReportOutcome(string ReportId, string State, string Stage, Date? ReportDate, OutcomeFigures? Figures);

public sealed record CorrectOutcome(string Report, string State, Date? CorrectedOn, string Reason, OutcomeFigures? Figures);

/// <summary>
/// Outcome reports: only a state taking part on the report's date (joined, not left) with a voice on it, within
/// the operation's (and the stage's) dates, reports. A report is never edited: a correction is a new version of it.
/// </summary>
public static class Reporting
{
    public static Verdict Report(OperationState operation, RosterView roster, KgConversion conversion, ReportOutcome command)
    {
        var state = command.State ?? "";
        if (StateCodes.Problem(state, "state") is { } badState)
        {
            return badState;
        }

        if (!Dates.TryGet(command.ReportDate, out var day))
        {
            return Verdict.Invalid("report_date", "a valid date is required");
        }

        if (Figures.Validate(command.Figures, "figures", conversion) is { } invalid)
        {
            return Verdict.Of(invalid);
        }

        var stageName = command.Stage ?? "";
        StageState? stage = null;
        if (stageName.Length > 0 && !operation.Stages.TryGetValue(stageName, out stage))
        {
            return Verdict.Rule("UNKNOWN_STAGE", $"{operation.Name} has no stage '{stageName}'");
        }

        if (operation.Closed)
        {
            return Verdict.Rule("OPERATION_CLOSED", $"{operation.Name} closed on {operation.End?.ToIso()}; its reports are final");
        }

        if (!operation.Covers(day))
        {
            return Verdict.Rule("REPORT_OUTSIDE_OPERATION", $"{day.ToIso()} is not within {operation.Start.ToIso()}..{operation.End?.ToIso() ?? ""}");
        }

        if (stage is not null)
        {
            if (stage.Closed)
            {
                return Verdict.Rule("STAGE_CLOSED", $"{stage.Name} is closed; its reports are final");
            }

            if (day < stage.Start || day > stage.End)
            {
                return Verdict.Rule("REPORT_OUTSIDE_STAGE", $"{day.ToIso()} is not within {stage.Start.ToIso()}..{stage.End.ToIso()}");
            }
        }

        if (operation.Observers.ContainsKey(state))
        {
            return Verdict.Rule("OBSERVER_CANNOT_REPORT", $"{state} observes {operation.Name}; observers do not report outcomes");
        }

        if (!operation.Participants.TryGetValue(state, out var participant) || participant.Periods[0].JoinDate > day)
        {
            return Verdict.Rule("NOT_A_PARTICIPANT", $"{state} does not take part in {operation.Name} on {day.ToIso()}");
        }

        if (!participant.TakesPartOn(day))
        {
            return Verdict.Rule("PARTICIPANT_LEFT", $"{state} left {operation.Name} on {participant.Periods.Last(p => p.LeftOn < day).LeftOn?.ToIso()}; it reports nothing dated after it left until it joins again");
        }

        // a participant whose membership is suspended or frozen on the day has no voice: its participation pauses
        // (nothing dated then is reported) and resumes once its voice is restored, without joining again
        if (!roster.HasVoice(state, day))
        {
            return Verdict.Rule("STATE_HAS_NO_VOICE", $"{state} is not a member with a voice on {day.ToIso()} (status {roster.StatusOn(state, day)})");
        }

        var report = operation.Name + "/reports/" + command.ReportId;
        if (operation.Reports.ContainsKey(report))
        {
            return Verdict.Rule("REPORT_EXISTS", $"{report} exists; correct it instead");
        }

        return Verdict.Accept(new OutcomeReported
        {
            Operation = operation.Name,
            Report = report,
            State = state,
            Stage = stageName,
            ReportDate = day.ToProto(),
            Figures = Figures.WithKgEquivalents(command.Figures!, conversion),
        });
    }

    public static Verdict Correct(OperationState operation, KgConversion conversion, CorrectOutcome command)
    {
        if (StateCodes.Problem(command.State, "state") is { } badState)
        {
            return badState;
        }

        if (!Dates.TryGet(command.CorrectedOn, out var day))
        {
            return Verdict.Invalid("corrected_on", "a valid date is required");
        }

        if (string.IsNullOrWhiteSpace(command.Reason) || command.Reason.Length > 1000)
        {
            return Verdict.Invalid("reason", "say why the report is corrected (at most 1,000 characters)");
        }

        if (Figures.Validate(command.Figures, "figures", conversion) is { } invalid)
        {
            return Verdict.Of(invalid);
        }

        if (!operation.Reports.TryGetValue(command.Report ?? "", out var report))
        {
            return Verdict.Rule("UNKNOWN_REPORT", $"{operation.Name} has no report '{command.Report}'");
        }

        if (!string.Equals(report.State, command.State, StringComparison.Ordinal))
        {
            return Verdict.Rule("CORRECTION_BY_OTHER_STATE", $"{report.Name} was reported by {report.State}; only it corrects it");
        }

        if (operation.Closed)
        {
            return Verdict.Rule("OPERATION_CLOSED", $"{operation.Name} closed on {operation.End?.ToIso()}; its reports are final");
        }

        if (report.Stage.Length > 0 && operation.Stages[report.Stage].Closed)
        {
            return Verdict.Rule("STAGE_CLOSED", $"{report.Stage} is closed; its reports are final");
        }

        if (day < report.Latest.Date)
        {
            return Verdict.Rule("CORRECTION_BEFORE_REPORT", $"the version it supersedes is dated {report.Latest.Date.ToIso()}");
        }

        return Verdict.Accept(new OutcomeCorrected
        {
            Operation = operation.Name,
            Report = report.Name,
            Version = report.Latest.Version + 1,
            CorrectedOn = day.ToProto(),
            Reason = command.Reason.Trim(),
            Figures = Figures.WithKgEquivalents(command.Figures!, conversion),
        });
    }
}
