using Csto.Common.V1;
using Csto.Kernel;
using Csto.Membership.V1;
using Google.Protobuf;

namespace Csto.Membership.Members;

/// <summary>Adopted decisions: receiving them (in any order), which acts are reserved to them, and whether a cause allows an act.</summary>
public static partial class MemberDecider
{
    /// <summary>
    /// An adopted decision arrives from the bodies service: record that it was received and, when the rules
    /// allow, the act it asks for, effective on its date. Received before: nothing (a duplicate or late delivery
    /// changes nothing).
    /// </summary>
    public static IReadOnlyList<IMessage> OnDecisionAdopted(PartyState state, ReceivedDecision decision)
    {
        if (state.Decisions.ContainsKey(decision.Decision))
        {
            return [];
        }

        var received = new AdoptedDecisionReceived
        {
            State = state.Party,
            Decision = decision.Decision,
            Act = decision.Act,
            EffectiveDate = decision.EffectiveDate.ToProto(),
            Grounds = decision.Grounds,
            Applied = true,
        };
        var result = Decide(state.Evolve(received), ActFor(state.Party, decision));
        if (result.Violation is { } violation)
        {
            // held: a decision that refers to what is not recorded yet (a restoration before its suspension) applies
            // when that arrives (see Settle); one that never can stays received, not applied, with the reason
            received.Applied = false;
            received.RejectionReason = violation.Code;
            return [received, .. Settle(state.Evolve(received))];
        }

        var events = new List<IMessage> { received };
        events.AddRange(result.Events);
        events.AddRange(Settle(events.Aggregate(state, (s, e) => s.Evolve(e))));
        return events;
    }

    /// <summary>
    /// Applies the received decisions that are not applied yet and now can be, in the order of their effective dates
    /// (then names), until none more applies: the same acts as if the decisions had arrived in that order.
    /// </summary>
    static IEnumerable<IMessage> Settle(PartyState state)
    {
        var progress = true;
        while (progress)
        {
            progress = false;
            foreach (var held in state.Decisions.Values.Where(d => !state.AppliedDecisions.Contains(d.Decision)).OrderBy(d => d.EffectiveDate).ThenBy(d => d.Decision, StringComparer.Ordinal))
            {
                var verdict = Decide(state, ActFor(state.Party, held));
                if (verdict.Accepted && verdict.Events.Count > 0)
                {
                    foreach (var e in verdict.Events)
                    {
                        state = state.Evolve(e);
                        yield return e;
                    }

                    progress = true;
                    break;
                }
            }
        }
    }

    static MemberCommand ActFor(string party, ReceivedDecision decision) =>
        new(party, ActOf(decision.Act) ?? throw new ArgumentOutOfRangeException(nameof(decision), decision.Act, "not a membership act"), decision.EffectiveDate, new Cause { Decision = decision.Decision })
        {
            Grounds = decision.Grounds,
            FromDecision = true,
        };

    static MemberAct? ActOf(DecisionAct act) => act switch
    {
        DecisionAct.Admit => MemberAct.Accession,
        DecisionAct.Suspend => MemberAct.Suspension,
        DecisionAct.Restore => MemberAct.Restoration,
        DecisionAct.Exclude => MemberAct.Exclusion,
        _ => null,
    };

    /// <summary>The decision kind an act needs, or null when the act is not reserved to a decision.</summary>
    static DecisionAct? ReservedAct(MemberAct act, DateOnly day) => act switch
    {
        MemberAct.Suspension => DecisionAct.Suspend,
        MemberAct.Restoration => DecisionAct.Restore,
        MemberAct.Exclusion => DecisionAct.Exclude,
        MemberAct.Accession when day >= TreatyInForce => DecisionAct.Admit,
        _ => null,
    };

    static Violation? DecisionProblem(DecisionAct needed, MemberCommand command, string? decision, ReceivedDecision? seen, DateOnly day)
    {
        if (decision is null)
        {
            return new RuleBroken("DECISION_REQUIRED", $"{command.Act} is reserved to a decision of the Collective Security Council (Charter Article 19): cause.decision must name it");
        }

        if (seen is null)
        {
            return new RuleBroken("DECISION_NOT_SEEN", $"{decision} has not been received by this service as an adopted decision about {command.Party}; it must be adopted in the bodies service first");
        }

        if (seen.Act != needed)
        {
            return new RuleBroken("DECISION_DOES_NOT_MATCH", $"{decision} decides {seen.Act} of {command.Party}, not {needed}");
        }

        return seen.EffectiveDate != day
            ? new RuleBroken("DECISION_DATE_MISMATCH", $"{decision} takes effect on {seen.EffectiveDate:yyyy-MM-dd}, not {day:yyyy-MM-dd}")
            : null;
    }

    static Violation? CauseProblem(Cause? cause)
    {
        if (cause is null || cause.KindCase == Cause.KindOneofCase.None)
        {
            return new InvalidField("cause", "required: the decision, the notice or the treaty act");
        }

        return cause.KindCase switch
        {
            Cause.KindOneofCase.Decision when !cause.Decision.StartsWith("decisions/", StringComparison.Ordinal) || cause.Decision.Length <= "decisions/".Length || cause.Decision.IndexOf('/', "decisions/".Length) >= 0
                => new InvalidField("cause.decision", $"'{cause.Decision}' is not a decision resource name (decisions/{{id}})"),
            Cause.KindOneofCase.Notice when string.IsNullOrWhiteSpace(cause.Notice) => new InvalidField("cause.notice", "must not be empty"),
            Cause.KindOneofCase.TreatyAct when string.IsNullOrWhiteSpace(cause.TreatyAct) => new InvalidField("cause.treaty_act", "must not be empty"),
            _ => null,
        };
    }
}
