using Csto.Membership.Members;
using Csto.Membership.V1;

namespace Csto.Membership.Api;

/// <summary>The API view of a party: status as of a date, dated periods, recorded acts with causes.</summary>
public static class MemberStateView
{
    public static V1.MemberState Build(LoadedMember member, DateOnly asOf)
    {
        var state = member.State;
        var view = new V1.MemberState
        {
            State = state.Party,
            Kind = Parties.KindOf(state.Party),
            Status = state.StatusOn(asOf),
            AsOf = asOf.ToProto(),
            Version = state.Version,
        };
        if (state.ChangeOn(asOf) is { } change)
        {
            view.StatusSince = change.From.ToProto();
        }

        for (var i = 0; i < state.Changes.Count; i++)
        {
            var c = state.Changes[i];
            var period = new StatusPeriod { Status = c.Status, FromDate = c.From.ToProto(), Cause = c.Cause };
            if (i + 1 < state.Changes.Count)
            {
                period.ToDate = state.Changes[i + 1].From.ToProto();
            }

            view.Periods.Add(period);
        }

        for (var i = 0; i < member.Records.Count; i++)
        {
            var record = member.Records[i];
            var @event = member.Events[i];
            if (@event is MemberStatusChanged or AdoptedDecisionReceived)
            {
                continue;
            }

            view.Acts.Add(new RecordedAct
            {
                Type = record.Type,
                EffectiveDate = EventFields.EffectiveDate(@event),
                Cause = EventFields.Cause(@event),
                RecordedAt = record.RecordedAt,
                EventId = record.EventId,
                Position = record.Position,
                Provenance = record.Metadata?.Provenance,
            });
        }

        if (state.WithdrawalTakesEffectOn is { } pending && pending > asOf)
        {
            view.PendingWithdrawalTakesEffectOn = pending.ToProto();
        }

        view.ReceivedDecisions.AddRange(state.Decisions.Keys.Order(StringComparer.Ordinal));
        return view;
    }
}
