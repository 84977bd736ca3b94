using System.Text.Json;
using Csto.Bodies.V1;

namespace Csto.Ctl.History;

public sealed partial class HistoryLoader
{
    /// <summary>Services that keep a roster from membership's MemberStatusChanged.</summary>
    static readonly string[] RosterConsumers = ["bodies"];

    Task WaitForOperationAsync(Decision decision, CancellationToken ct) => Task.CompletedTask;

    Task OperationAsync(HistoryStep step, Dictionary<string, JsonElement> request, CancellationToken ct) =>
        throw new Common.CtlException(Common.ExitCodes.Usage, $"{step.Date}: operations steps need the operations service");
}
