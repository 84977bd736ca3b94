using Csto.Membership.Members;
using Csto.Membership.V1;

namespace Csto.Membership.Api;

/// <summary>The API view of a party: status as of a date, dated periods, recorded acts with causes.</summary>
public static class MemberStates
{
    /// <summary>The view a request asks for: unset is FULL; a value this build does not know is INVALID_ARGUMENT naming <paramref name="field"/>.</summary>
    public static MemberStateView ViewOf(MemberStateView view, string field = "view") => view switch
    {
        MemberStateView.Unspecified or MemberStateView.Full => MemberStateView.Full,
        MemberStateView.Basic => MemberStateView.Basic,
        _ => throw new InvalidFieldException(field, $"unknown view {(int)view}: MEMBER_STATE_VIEW_BASIC (no periods, no acts) or MEMBER_STATE_VIEW_FULL (the default)"),
    };

    public static V1.MemberState Build(LoadedMember member, DateOnly asOf, MemberStateView detail = MemberStateView.Full)
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

        for (var i = 0; i < state.Changes.Count && detail != MemberStateView.Basic; i++)
        {
            var c = state.Changes[i];
            var period = new StatusPeriod { Status = c.Status, FromDate = c.From.ToProto(), Cause = c.Cause };
            if (i + 1 < state.Changes.Count)
            {
                period.ToDate = state.Changes[i + 1].From.ToProto();
            }

            view.Periods.Add(period);
        }

        for (var i = 0; i < member.Records.Count && detail != MemberStateView.Basic; i++)
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
