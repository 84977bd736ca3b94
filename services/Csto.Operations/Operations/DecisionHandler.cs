using Csto.Bodies.V1;
using Csto.EventLog.Commands;
using Csto.EventLog.Inbox;
using Csto.EventLog.V1;
using Csto.Operations.Shared;
using Csto.Operations.V1;
using Microsoft.Extensions.Logging;

namespace Csto.Operations.Operations;

/// <summary>
/// Acts on the bodies' DecisionAdopted: authorize opens an operation (linked to the decision, caused by the
/// decision's event, so a trace follows causation from outcomes to votes), extend and conclude change it.
/// A decision that breaks a rule is recorded as DecisionNotApplied in "refusal-{decision}" so that an operator
/// sees why nothing opened. Operations are named by the slug of their name ("Channel" → operations/channel).
/// </summary>
public sealed partial class DecisionHandler(ILogger<DecisionHandler> logger) : IEventHandler
{
    public string Name => "operations-decisions";

    public IReadOnlyCollection<string> EventTypes { get; } = [DecisionAdopted.Descriptor.FullName];

    public ICommand? Handle(EventRecord incoming)
    {
        var decision = DecisionAdopted.Parser.ParseFrom(incoming.Data);
        if (decision.Payload?.KindCase is not (DecisionPayload.KindOneofCase.AuthorizeOperation or DecisionPayload.KindOneofCase.ExtendOperation or DecisionPayload.KindOneofCase.ConcludeOperation))
        {
            return null;
        }

        var operationName = decision.Payload.AuthorizeOperation?.Name ?? decision.Payload.ExtendOperation?.Name ?? decision.Payload.ConcludeOperation.Name;
        return new Command<OperationStream>(Ids.StreamOf(Ids.Slug(operationName)), OperationStream.Of, stream => Authorization.OnDecision(stream, decision))
        {
            EffectiveDateOf = OperationEvents.EffectiveDate,
            OnRefused = violation => Refusal(decision, operationName, violation),
        };
    }

    Command<int> Refusal(DecisionAdopted decision, string operationName, Kernel.Violation violation)
    {
        var reason = violation switch { RuleBroken r => r.Reason, InvalidField f => "INVALID_ARGUMENT:" + f.Field, _ => "REFUSED" };
        LogNotApplied(decision.Decision, operationName, reason, violation.Description);
        var refusal = new DecisionNotApplied
        {
            Decision = decision.Decision,
            OperationDisplayName = operationName,
            Reason = reason,
            Description = violation.Description,
            EffectiveDate = decision.EffectiveDate,
        };
        return new Command<int>("refusal-" + Ids.Slug(decision.Decision), records => records.Count, _ => Verdict.Accept(refusal))
        {
            EffectiveDateOf = OperationEvents.EffectiveDate,
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "decision {Decision} about operation '{Operation}' not applied: {Reason}: {Description}")]
    partial void LogNotApplied(string decision, string operation, string reason, string description);
}
