using Csto.Bodies.V1;
using Csto.EventLog.Commands;
using Csto.EventLog.Inbox;
using Csto.EventLog.V1;
using Csto.Kernel;
using Csto.Membership.Members;

namespace Csto.Membership.Decisions;

/// <summary>
/// Consumes the bodies service's DecisionAdopted: a decision that admits, suspends, restores or excludes a state is
/// recorded in that state's stream (received, and the act when the rules allow it). The inbox de-duplicates
/// deliveries; a decision already received changes nothing either.
/// </summary>
public sealed class DecisionAdoptedHandler : IEventHandler
{
    public const string ConsumerName = "membership-decisions";

    public string Name => ConsumerName;

    public IReadOnlyCollection<string> EventTypes { get; } = [DecisionAdopted.Descriptor.FullName];

    public ICommand? Handle(EventRecord incoming)
    {
        var decision = DecisionIntake.From(DecisionAdopted.Parser.ParseFrom(incoming.Data), out var state);
        return decision is null
            ? null
            : new Command<LoadedMember>(Parties.StreamId(state), MemberLog.Fold(state), member => Verdict.Accept(MemberDecider.OnDecisionAdopted(member.State, decision)))
            {
                FoldFrom = MemberLog.FoldFrom,
            };
    }
}
