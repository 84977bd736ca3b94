using Csto.Bodies.V1;
using Csto.EventLog;
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
public sealed partial class DecisionHandler(IEventStore store, ILogger<DecisionHandler> logger) : IEventHandler
{
    public string Name => "operations-decisions";

    public IReadOnlyCollection<string> EventTypes { get; } = [DecisionAdopted.Descriptor.FullName];

    public async Task<AppendRequest?> HandleAsync(EventRecord incoming, CancellationToken cancellationToken)
    {
        var decision = DecisionAdopted.Parser.ParseFrom(incoming.Data);
        var operationName = decision.Payload?.KindCase switch
        {
            DecisionPayload.KindOneofCase.AuthorizeOperation => decision.Payload.AuthorizeOperation.Name,
            DecisionPayload.KindOneofCase.ExtendOperation => decision.Payload.ExtendOperation.Name,
            DecisionPayload.KindOneofCase.ConcludeOperation => decision.Payload.ConcludeOperation.Name,
            _ => null,
        };
        if (operationName is null)
        {
            return null;
        }

        var stream = Ids.StreamOf(Ids.Slug(operationName));
        var records = await store.ReadStreamAsync(stream, 1, cancellationToken);
        var operation = OperationEvents.Fold(records);
        var decided = decision.Payload!.KindCase switch
        {
            DecisionPayload.KindOneofCase.AuthorizeOperation => Authorization.Authorize(operation, decision),
            DecisionPayload.KindOneofCase.ExtendOperation => Authorization.Extend(operation, decision),
            _ => Authorization.Conclude(operation, decision),
        };

        var metadata = EventInbox.CausedBy(incoming, Name);
        var key = "decision/" + incoming.SourceService + "/" + incoming.EventId;
        if (decided.Violation is { } violation)
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
            return new AppendRequest("refusal-" + Ids.Slug(decision.Decision), ExpectedVersion.Any, [NewEvent.From(refusal, OperationStore.WithEffectiveTime(metadata, refusal), EventIds.FromName("operations", key))]);
        }

        return new AppendRequest(stream, records.Count, [.. decided.Events.Select((e, i) => NewEvent.From(e, OperationStore.WithEffectiveTime(metadata, e), EventIds.FromName("operations", key, i)))]);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "decision {Decision} about operation '{Operation}' not applied: {Reason}: {Description}")]
    partial void LogNotApplied(string decision, string operation, string reason, string description);
}
