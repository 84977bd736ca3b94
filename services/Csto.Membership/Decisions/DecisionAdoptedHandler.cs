using Csto.Bodies.V1;
using Csto.EventLog;
using Csto.EventLog.Inbox;
using Csto.EventLog.V1;
using Csto.Membership.Members;

namespace Csto.Membership.Decisions;

/// <summary>
/// Consumes the bodies service's DecisionAdopted: a decision that admits, suspends, restores or excludes a
/// state is recorded in that state's stream (received, and the act when the rules allow it). The inbox
/// de-duplicates deliveries; a decision already received changes nothing either.
/// </summary>
public sealed class DecisionAdoptedHandler(MemberLog log) : IEventHandler
{
    public const string ConsumerName = "membership-decisions";

    public string Name => ConsumerName;

    public IReadOnlyCollection<string> EventTypes { get; } = [DecisionAdopted.Descriptor.FullName];

    public async Task<AppendRequest?> HandleAsync(EventRecord incoming, CancellationToken cancellationToken)
    {
        var decision = DecisionIntake.From(DecisionAdopted.Parser.ParseFrom(incoming.Data), out var state);
        if (decision is null)
        {
            return null;
        }

        var member = await log.LoadAsync(state, cancellationToken);
        var events = MemberDecider.OnDecisionAdopted(member.State, decision);
        if (events.Count == 0)
        {
            return null;
        }

        var key = $"decision:{incoming.SourceService}/{incoming.EventId}";
        return MemberLog.ToAppend(member.State, events, i => EventIds.FromName("membership", key, i), EventInbox.CausedBy(incoming, Name));
    }
}
