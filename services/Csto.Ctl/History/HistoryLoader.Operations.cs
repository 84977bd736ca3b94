using System.Text.Json;
using System.Text.Json.Nodes;
using Csto.Bodies.V1;
using Csto.Ctl.Common;
using Csto.Operations.V1;
using Google.Protobuf;

namespace Csto.Ctl.History;

public sealed partial class HistoryLoader
{
    /// <summary>Services that keep a roster from membership's MemberStatusChanged.</summary>
    static readonly string[] RosterConsumers = ["bodies", "operations"];

    OperationsService.OperationsServiceClient Operations => new(services.Channel("operations"));

    /// <summary>Waits until the operations service opened (or extended, or closed) the operation the decision is about.</summary>
    async Task WaitForOperationAsync(Decision decision, CancellationToken ct) =>
        await UntilAsync($"operations to act on {decision.Name}", async () =>
        {
            var request = new ListOperationsRequest { PageSize = 500 };
            var page = await Operations.ListOperationsAsync(request, cancellationToken: ct);
            return page.Operations.Any(o => o.Decision == decision.Name || o.LaterDecisions.Contains(decision.Name));
        }, ct);

    /// <summary>
    /// One operations request from the file, in the JSON mapping of its request message; "operation" and "stage"
    /// may give display names ("Channel", "Channel-Mountain Outpost"), resolved here to resource names.
    /// </summary>
    async Task OperationAsync(HistoryStep step, Dictionary<string, JsonElement> request, CancellationToken ct)
    {
        var (action, body) = request.Single();
        var json = JsonNode.Parse(body.GetRawText())!.AsObject();
        if (json["operation"]?.GetValue<string>() is { } operation)
        {
            json["operation"] = await OperationNameAsync(operation, ct);
        }

        var stage = json["stage"]?.GetValue<string>();
        if (stage is not null)
        {
            json["stage"] = await StageNameAsync(json["operation"]?.GetValue<string>(), stage, ct);
        }

        if (action == "close_stage")
        {
            json.Remove("operation"); // CloseStageRequest names the stage only
        }

        var key = $"{step.Date}:{action}:{json["state"]?.GetValue<string>() ?? json["observer"]?.GetValue<string>() ?? json["displayName"]?.GetValue<string>() ?? stage}";
        json["requestId"] = RequestId("op", key);
        json["provenance"] = JsonNode.Parse(Google.Protobuf.JsonFormatter.Default.Format(_provenance));
        var text = json.ToJsonString();
        _writes++;
        var client = Operations;
        switch (action)
        {
            case "join":
                await client.JoinOperationAsync(Parser.Parse<JoinOperationRequest>(text), cancellationToken: ct);
                break;
            case "observer":
                await client.AdmitObserverAsync(Parser.Parse<AdmitObserverRequest>(text), cancellationToken: ct);
                break;
            case "stage":
                await client.StartStageAsync(Parser.Parse<StartStageRequest>(text), cancellationToken: ct);
                break;
            case "close_stage":
                await client.CloseStageAsync(Parser.Parse<CloseStageRequest>(text), cancellationToken: ct);
                break;
            case "report":
                await client.ReportOutcomeAsync(Parser.Parse<ReportOutcomeRequest>(text), cancellationToken: ct);
                break;
            case "leave":
                await client.LeaveOperationAsync(Parser.Parse<LeaveOperationRequest>(text), cancellationToken: ct);
                break;
            case "published_totals":
                await client.RecordPublishedTotalsAsync(Parser.Parse<RecordPublishedTotalsRequest>(text), cancellationToken: ct);
                break;
            default:
                throw new CtlException(ExitCodes.Usage, $"{step.Date}: unknown operations action '{action}' (join, leave, observer, stage, close_stage, report, published_totals)");
        }
    }

    async Task<string> OperationNameAsync(string operation, CancellationToken ct)
    {
        if (operation.StartsWith("operations/", StringComparison.Ordinal))
        {
            return operation;
        }

        var page = await Operations.ListOperationsAsync(new ListOperationsRequest { PageSize = 500 }, cancellationToken: ct);
        return page.Operations.FirstOrDefault(o => string.Equals(o.DisplayName, operation, StringComparison.OrdinalIgnoreCase))?.Name
            ?? throw new CtlException(ExitCodes.NotFound, $"no operation named '{operation}' is recorded (authorize it in an earlier session)");
    }

    async Task<string> StageNameAsync(string? operation, string stage, CancellationToken ct)
    {
        if (stage.Contains("/stages/", StringComparison.Ordinal) || operation is null)
        {
            return stage;
        }

        var op = (await Operations.GetOperationAsync(new GetOperationRequest { Name = operation }, cancellationToken: ct)).Operation;
        return op.Stages.FirstOrDefault(s => string.Equals(s.DisplayName, stage, StringComparison.OrdinalIgnoreCase))?.Name
            ?? throw new CtlException(ExitCodes.NotFound, $"operation {operation} has no stage named '{stage}'");
    }
}
