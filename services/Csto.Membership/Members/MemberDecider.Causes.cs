using Csto.Common.V1;
using Csto.Kernel;
using Csto.Membership.V1;
using Google.Protobuf;

namespace Csto.Membership.Members;

/// <summary>Which acts are reserved to a decision of the Council, and whether the cause given is one that allows the act.</summary>
public static partial class MemberDecider
{
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
