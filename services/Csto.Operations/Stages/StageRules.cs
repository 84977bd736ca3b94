using Csto.Operations.Operations;
using Csto.Operations.Outcomes;
using Csto.Operations.Shared;
using Csto.Operations.V1;
using Google.Protobuf;

namespace Csto.Operations.Stages;

public sealed record StartStage(string DisplayName, Common.V1.Date? StartDate, Common.V1.Date? EndDate);

public sealed record CloseStage(string Stage);

/// <summary>Named stages of an operation ("Channel-Mountain Outpost", 2025-05-18..23) with their own dates.</summary>
public static class StageRules
{
    public static Verdict Start(OperationState operation, StartStage command)
    {
        var name = (command.DisplayName ?? "").Trim();
        if (name.Length is 0 or > 200 || Ids.Slug(name).Length == 0)
        {
            return Verdict.Invalid("display_name", "a stage needs a name of letters or digits (at most 200 characters)");
        }

        if (!Dates.TryGet(command.StartDate, out var start))
        {
            return Verdict.Invalid("start_date", "a valid date is required");
        }

        if (!Dates.TryGet(command.EndDate, out var end))
        {
            return Verdict.Invalid("end_date", "a valid date is required");
        }

        if (end < start)
        {
            return Verdict.Invalid("end_date", "before start_date");
        }

        if (operation.Closed)
        {
            return Verdict.Rule("OPERATION_CLOSED", $"{operation.Name} closed on {operation.End?.ToIso()}");
        }

        if (!operation.Covers(start) || !operation.Covers(end))
        {
            return Verdict.Rule("STAGE_OUTSIDE_OPERATION", $"{start.ToIso()}..{end.ToIso()} is not within the operation's dates");
        }

        var stage = operation.Name + "/stages/" + Ids.Slug(name);
        if (operation.Stages.ContainsKey(stage))
        {
            return Verdict.Rule("STAGE_ALREADY_EXISTS", $"{stage} exists");
        }

        return Verdict.Accept(new StageStarted { Operation = operation.Name, Stage = stage, DisplayName = name, StartDate = start.ToProto(), EndDate = end.ToProto() });
    }

    public static Verdict Close(OperationState operation, CloseStage command)
    {
        if (!operation.Stages.TryGetValue(command.Stage, out var stage))
        {
            return Verdict.Rule("UNKNOWN_STAGE", $"{operation.Name} has no stage {command.Stage}");
        }

        if (stage.Closed)
        {
            return Verdict.Rule("STAGE_ALREADY_CLOSED", $"{stage.Name} is closed");
        }

        if (operation.Closed)
        {
            return Verdict.Rule("OPERATION_CLOSED", $"{operation.Name} closed on {operation.End?.ToIso()}");
        }

        return Verdict.Accept([.. ClosingOf(operation, stage, stage.End)]);
    }

    /// <summary>StageClosed and the stage's summary: its reports as of its last day.</summary>
    public static IEnumerable<IMessage> ClosingOf(OperationState operation, StageState stage, DateOnly end)
    {
        yield return new StageClosed { Operation = operation.Name, Stage = stage.Name, EndDate = end.ToProto() };
        yield return new OperationSummaryPublished
        {
            Operation = operation.Name,
            DisplayName = operation.DisplayName,
            Decision = operation.Decision,
            Stage = stage.Name,
            Totals = TotalsCalculator.Compute(operation, end, stage.Name),
        };
    }
}
