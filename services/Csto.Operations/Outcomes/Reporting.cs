using Csto.Common.V1;
using Csto.Operations.Operations;
using Csto.Operations.Roster;
using Csto.Operations.Shared;
using Csto.Operations.V1;

namespace Csto.Operations.Outcomes;

public sealed record ReportOutcome(string ReportId, string State, string Stage, Date? ReportDate, OutcomeFigures? Figures);

public sealed record CorrectOutcome(string Report, string State, Date? CorrectedOn, string Reason, OutcomeFigures? Figures);

/// <summary>
/// Outcome reports: only a participating state with a voice on the report's date, within the operation's
/// (and the stage's) dates, reports. A report is never edited: a correction is a new version of it.
/// </summary>
public static class Reporting
{
    public static Decided Report(OperationState operation, RosterView roster, KgConversion conversion, ReportOutcome command)
    {
        var state = command.State ?? "";
        if (!Figures.IsIso3(state))
        {
            return Decided.Invalid("state", "ISO 3166-1 alpha-3 code, e.g. KAZ");
        }

        if (!DateValues.TryGet(command.ReportDate, out var day))
        {
            return Decided.Invalid("report_date", "a valid date is required");
        }

        if (Figures.Validate(command.Figures, "figures", conversion) is { } invalid)
        {
            return Decided.Of(invalid);
        }

        var stageName = command.Stage ?? "";
        StageState? stage = null;
        if (stageName.Length > 0 && !operation.Stages.TryGetValue(stageName, out stage))
        {
            return Decided.Broken("UNKNOWN_STAGE", $"{operation.Name} has no stage '{stageName}'");
        }

        if (operation.Closed)
        {
            return Decided.Broken("OPERATION_CLOSED", $"{operation.Name} closed on {operation.End?.Iso()}; its reports are final");
        }

        if (!operation.Covers(day))
        {
            return Decided.Broken("REPORT_OUTSIDE_OPERATION", $"{day.Iso()} is not within {operation.Start.Iso()}..{operation.End?.Iso() ?? ""}");
        }

        if (stage is not null)
        {
            if (stage.Closed)
            {
                return Decided.Broken("STAGE_CLOSED", $"{stage.Name} is closed; its reports are final");
            }

            if (day < stage.Start || day > stage.End)
            {
                return Decided.Broken("REPORT_OUTSIDE_STAGE", $"{day.Iso()} is not within {stage.Start.Iso()}..{stage.End.Iso()}");
            }
        }

        if (operation.Observers.ContainsKey(state))
        {
            return Decided.Broken("OBSERVER_CANNOT_REPORT", $"{state} observes {operation.Name}; observers do not report outcomes");
        }

        if (!operation.Participants.TryGetValue(state, out var participant) || participant.JoinDate > day)
        {
            return Decided.Broken("NOT_A_PARTICIPANT", $"{state} does not take part in {operation.Name} on {day.Iso()}");
        }

        if (!roster.HasVoice(state, day))
        {
            return Decided.Broken("STATE_HAS_NO_VOICE", $"{state} is not a member with a voice on {day.Iso()} (status {roster.StatusOn(state, day)})");
        }

        var report = operation.Name + "/reports/" + command.ReportId;
        if (operation.Reports.ContainsKey(report))
        {
            return Decided.Broken("REPORT_EXISTS", $"{report} exists; correct it instead");
        }

        return Decided.Ok(new OutcomeReported
        {
            Operation = operation.Name,
            Report = report,
            State = state,
            Stage = stageName,
            ReportDate = day.ToDate(),
            Figures = Figures.WithKgEquivalents(command.Figures!, conversion),
        });
    }

    public static Decided Correct(OperationState operation, KgConversion conversion, CorrectOutcome command)
    {
        if (!Figures.IsIso3(command.State ?? ""))
        {
            return Decided.Invalid("state", "ISO 3166-1 alpha-3 code, e.g. KAZ");
        }

        if (!DateValues.TryGet(command.CorrectedOn, out var day))
        {
            return Decided.Invalid("corrected_on", "a valid date is required");
        }

        if (string.IsNullOrWhiteSpace(command.Reason) || command.Reason.Length > 1000)
        {
            return Decided.Invalid("reason", "say why the report is corrected (at most 1,000 characters)");
        }

        if (Figures.Validate(command.Figures, "figures", conversion) is { } invalid)
        {
            return Decided.Of(invalid);
        }

        if (!operation.Reports.TryGetValue(command.Report ?? "", out var report))
        {
            return Decided.Broken("UNKNOWN_REPORT", $"{operation.Name} has no report '{command.Report}'");
        }

        if (!string.Equals(report.State, command.State, StringComparison.Ordinal))
        {
            return Decided.Broken("CORRECTION_BY_OTHER_STATE", $"{report.Name} was reported by {report.State}; only it corrects it");
        }

        if (operation.Closed)
        {
            return Decided.Broken("OPERATION_CLOSED", $"{operation.Name} closed on {operation.End?.Iso()}; its reports are final");
        }

        if (report.Stage.Length > 0 && operation.Stages[report.Stage].Closed)
        {
            return Decided.Broken("STAGE_CLOSED", $"{report.Stage} is closed; its reports are final");
        }

        if (day < report.Latest.Date)
        {
            return Decided.Broken("CORRECTION_BEFORE_REPORT", $"the version it supersedes is dated {report.Latest.Date.Iso()}");
        }

        return Decided.Ok(new OutcomeCorrected
        {
            Operation = operation.Name,
            Report = report.Name,
            Version = report.Latest.Version + 1,
            CorrectedOn = day.ToDate(),
            Reason = command.Reason.Trim(),
            Figures = Figures.WithKgEquivalents(command.Figures!, conversion),
        });
    }
}
