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
    public static Decided Start(OperationState operation, StartStage command)
    {
        var name = (command.DisplayName ?? "").Trim();
        if (name.Length is 0 or > 200 || Ids.Slug(name).Length == 0)
        {
            return Decided.Invalid("display_name", "a stage needs a name of letters or digits (at most 200 characters)");
        }

        if (!DateValues.TryGet(command.StartDate, out var start))
        {
            return Decided.Invalid("start_date", "a valid date is required");
        }

        if (!DateValues.TryGet(command.EndDate, out var end))
        {
            return Decided.Invalid("end_date", "a valid date is required");
        }

        if (end < start)
        {
            return Decided.Invalid("end_date", "before start_date");
        }

        if (operation.Closed)
        {
            return Decided.Broken("OPERATION_CLOSED", $"{operation.Name} closed on {operation.End?.Iso()}");
        }

        if (!operation.Covers(start) || !operation.Covers(end))
        {
            return Decided.Broken("STAGE_OUTSIDE_OPERATION", $"{start.Iso()}..{end.Iso()} is not within the operation's dates");
        }

        var stage = operation.Name + "/stages/" + Ids.Slug(name);
        if (operation.Stages.ContainsKey(stage))
        {
            return Decided.Broken("STAGE_ALREADY_EXISTS", $"{stage} exists");
        }

        return Decided.Ok(new StageStarted { Operation = operation.Name, Stage = stage, DisplayName = name, StartDate = start.ToDate(), EndDate = end.ToDate() });
    }

    public static Decided Close(OperationState operation, CloseStage command)
    {
        if (!operation.Stages.TryGetValue(command.Stage, out var stage))
        {
            return Decided.Broken("UNKNOWN_STAGE", $"{operation.Name} has no stage {command.Stage}");
        }

        if (stage.Closed)
        {
            return Decided.Broken("STAGE_ALREADY_CLOSED", $"{stage.Name} is closed");
        }

        if (operation.Closed)
        {
            return Decided.Broken("OPERATION_CLOSED", $"{operation.Name} closed on {operation.End?.Iso()}");
        }

        return Decided.Ok([.. ClosingOf(operation, stage, stage.End)]);
    }

    /// <summary>StageClosed and the stage's summary: its reports as of its last day.</summary>
    public static IEnumerable<IMessage> ClosingOf(OperationState operation, StageState stage, DateOnly end)
    {
        yield return new StageClosed { Operation = operation.Name, Stage = stage.Name, EndDate = end.ToDate() };
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
