using System.Globalization;
using Csto.Bodies.Drafts;
using Csto.Bodies.V1;
using Csto.Operations.V1;

namespace Csto.Bodies.Operations;

/// <summary>Where a summary came from in the operations log: its event id and the version of its operation stream.</summary>
public sealed record SummarySource(string EventId, long StreamVersion);

/// <summary>
/// Attaching the operations service's summaries to the decisions that authorized the operations. Per operation
/// and stage only the latest summary counts (the highest version of the operation's stream), so a duplicate or a
/// late, older delivery attaches nothing.
/// </summary>
public static class OperationReports
{
    public const string DecisionPrefix = "decisions/";

    /// <summary>The id of the decision a summary names, or null when the name is not "decisions/{id}".</summary>
    public static string? DecisionId(string? name) =>
        name is not null && name.StartsWith(DecisionPrefix, StringComparison.Ordinal) && Shared.Ids.IsValidId(name[DecisionPrefix.Length..])
            ? name[DecisionPrefix.Length..]
            : null;

    /// <summary>
    /// The attachment to append to <paramref name="decision"/>'s stream, or null: the decision is unknown, not adopted or
    /// did not authorize an operation; or the summary is already attached or older than the one attached.
    /// </summary>
    public static OperationReportAttached? Attach(DraftState? decision, OperationSummaryPublished summary, SummarySource source)
    {
        if (decision?.Adopted is not { } adopted || adopted.Payload?.KindCase != DecisionPayload.KindOneofCase.AuthorizeOperation
            || !string.Equals(decision.DecisionName, summary.Decision, StringComparison.Ordinal) || summary.Operation.Length == 0)
        {
            return null;
        }

        var superseded = decision.Reports.Any(r => string.Equals(r.SourceEventId, source.EventId, StringComparison.Ordinal)
            || (SameSubject(r, summary.Operation, summary.Stage) && r.SourceStreamVersion >= source.StreamVersion));
        return superseded ? null : From(summary, source);
    }

    static OperationReportAttached From(OperationSummaryPublished summary, SummarySource source)
    {
        var totals = summary.Totals ?? new OperationTotals { Operation = summary.Operation };
        var total = totals.Total ?? new Totals();
        var stageName = summary.Stage.Length == 0 ? "" : totals.ByStage.FirstOrDefault(s => s.Stage == summary.Stage)?.DisplayName ?? summary.Stage;
        var subject = stageName.Length > 0 ? stageName : summary.DisplayName;
        var asOf = totals.AsOf is { } d ? $" as of {d.Year:0000}-{d.Month:00}-{d.Day:00}" : "";
        return new OperationReportAttached
        {
            Decision = summary.Decision,
            Operation = summary.Operation,
            OperationName = summary.DisplayName,
            Stage = summary.Stage,
            StageDisplayName = summary.Stage.Length == 0 ? "" : stageName,
            Status = summary.Stage.Length == 0 ? "closed" : "stage closed",
            AsOf = totals.AsOf,
            Summary = string.Create(CultureInfo.InvariantCulture,
                $"{subject} closed{asOf}: {total.DrugsKg:0.###} kg of drugs, {total.PrecursorsKg:0.###} kg of precursors, {total.Reports} reports"),
            TotalKgEquivalent = total.DrugsKg + total.PrecursorsKg,
            DrugsKg = total.DrugsKg,
            PrecursorsKg = total.PrecursorsKg,
            Reports = total.Reports,
            Totals = totals,
            SourceEventId = source.EventId,
            SourceStreamVersion = source.StreamVersion,
        };
    }

    /// <summary>
    /// Per operation (by name): the latest report of the operation itself and of each stage (the operation's first, then
    /// the stages by name), and the most recent of them: the same whatever order the summaries arrived in.
    /// </summary>
    public static IEnumerable<AuthorizedOperation> Latest(IEnumerable<OperationReportAttached> reports)
    {
        foreach (var operation in reports.GroupBy(r => r.Operation, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var current = operation.GroupBy(r => r.Stage, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.MaxBy(r => r.SourceStreamVersion)!).ToList();
            var latest = current.MaxBy(r => r.SourceStreamVersion)!;
            yield return new AuthorizedOperation
            {
                Operation = operation.Key,
                OperationName = latest.OperationName,
                Reports = { current },
                Latest = latest,
            };
        }
    }

    static bool SameSubject(OperationReportAttached r, string operation, string stage) =>
        string.Equals(r.Operation, operation, StringComparison.Ordinal) && string.Equals(r.Stage, stage, StringComparison.Ordinal);
}
