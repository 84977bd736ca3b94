using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.Membership.Members;
using Csto.Membership.V1;

namespace Csto.Membership.Decisions;

/// <summary>What an adopted decision asks of membership, if anything: the state, the act, its date and grounds.</summary>
public static class DecisionIntake
{
    public static ReceivedDecision? From(DecisionAdopted adopted, out string state)
    {
        (state, var act, var named, var grounds) = adopted.Payload?.KindCase switch
        {
            DecisionPayload.KindOneofCase.AdmitMember => (adopted.Payload.AdmitMember.State, DecisionAct.Admit, adopted.Payload.AdmitMember.EffectiveDate, ""),
            DecisionPayload.KindOneofCase.SuspendMember => (adopted.Payload.SuspendMember.State, DecisionAct.Suspend, adopted.Payload.SuspendMember.EffectiveDate, adopted.Payload.SuspendMember.Grounds),
            DecisionPayload.KindOneofCase.RestoreMember => (adopted.Payload.RestoreMember.State, DecisionAct.Restore, adopted.Payload.RestoreMember.EffectiveDate, ""),
            DecisionPayload.KindOneofCase.ExcludeMember => (adopted.Payload.ExcludeMember.State, DecisionAct.Exclude, adopted.Payload.ExcludeMember.EffectiveDate, adopted.Payload.ExcludeMember.Grounds),
            _ => ("", DecisionAct.Unspecified, (Date?)null, ""),
        };
        if (act == DecisionAct.Unspecified || !Parties.IsState(state) || string.IsNullOrEmpty(adopted.Decision))
        {
            return null;
        }

        // the date the decision names for the act, else the decision's effective date, else its session date
        var date = new[] { named, adopted.EffectiveDate, adopted.SessionDate }.FirstOrDefault(d => d is { IsCalendarDate: true })?.ToDateOnly();
        return date is { } day ? new ReceivedDecision(adopted.Decision, act, day, grounds) : null;
    }
}
