using System.Collections.Immutable;
using Csto.Common.V1;
using Csto.Membership.V1;
using Google.Protobuf;

namespace Csto.Membership.Members;

/// <summary>From <paramref name="From"/> on, the party has <paramref name="Status"/>.</summary>
public sealed record StatusChange(DateOnly From, MemberStatus Status, Cause Cause);

/// <summary>An adopted decision about the party, as received from the bodies service.</summary>
public sealed record ReceivedDecision(string Decision, DecisionAct Act, DateOnly EffectiveDate, string Grounds);

/// <summary>
/// A party's state folded from its stream. Changes are ordered by date, then by the order recorded; a
/// withdrawal notice adds a change dated in the future of the notice, and acts recorded later but dated
/// before it slot in ahead of it, so <see cref="StatusOn"/> answers for any date.
/// </summary>
public sealed record PartyState(
    string Party,
    long Version,
    DateOnly? LastActDate,
    ImmutableList<StatusChange> Changes,
    DateOnly? WithdrawalTakesEffectOn,
    ImmutableDictionary<string, ReceivedDecision> Decisions,
    ImmutableHashSet<string> AppliedDecisions)
{
    /// <summary>The latest act not caused by an adopted decision received from bodies (API acts: recorded in time order).</summary>
    public DateOnly? LastOwnActDate { get; init; }

    public static PartyState Empty(string party) =>
        new(party, 0, null, [], null, ImmutableDictionary<string, ReceivedDecision>.Empty.WithComparers(StringComparer.Ordinal), ImmutableHashSet.Create<string>(StringComparer.Ordinal));

    public MemberStatus StatusOn(DateOnly date) => ChangeOn(date)?.Status ?? MemberStatus.Unspecified;

    public StatusChange? ChangeOn(DateOnly date) => Changes.LastOrDefault(c => c.From <= date);

    /// <summary>Whether the party was ever bound by the Treaty (so that ending an observer status leaves it withdrawn, not unrelated).</summary>
    public bool WasEverParty => Changes.Any(c => c.Status is MemberStatus.Signatory or MemberStatus.Member or MemberStatus.Suspended or MemberStatus.Frozen);

    public PartyState Evolve(IMessage @event)
    {
        var next = this with { Version = Version + 1 };
        switch (@event)
        {
            case MemberStatusChanged changed:
                var from = changed.EffectiveDate.ToDateOnly();
                var at = Changes.FindLastIndex(c => c.From <= from) + 1;
                return next with { Changes = Changes.Insert(at, new StatusChange(from, changed.NewStatus, changed.Cause ?? new Cause())) };
            case AdoptedDecisionReceived received:
                return next with
                {
                    Decisions = Decisions.SetItem(received.Decision, new ReceivedDecision(received.Decision, received.Act, received.EffectiveDate.ToDateOnly(), received.Grounds)),
                };
            case WithdrawalNotified notice:
                return Acted(next, notice.EffectiveDate, notice.Cause) with { WithdrawalTakesEffectOn = notice.TakesEffectOn.ToDateOnly() };
            default:
                var effective = EventFields.EffectiveDate(@event);
                return effective is null ? next : Acted(next, effective, EventFields.Cause(@event));
        }
    }

    static PartyState Acted(PartyState state, Date date, Cause? cause)
    {
        var day = date.ToDateOnly();
        var byReceivedDecision = cause?.KindCase == Cause.KindOneofCase.Decision && state.Decisions.ContainsKey(cause.Decision);
        return state with
        {
            LastActDate = state.LastActDate is { } last && last > day ? last : day,
            LastOwnActDate = byReceivedDecision || (state.LastOwnActDate is { } own && own > day) ? state.LastOwnActDate : day,
            AppliedDecisions = cause?.KindCase == Cause.KindOneofCase.Decision ? state.AppliedDecisions.Add(cause.Decision) : state.AppliedDecisions,
        };
    }
}

/// <summary>Every membership event has "effective_date" and "cause"; read them without a switch per type.</summary>
public static class EventFields
{
    public static Date? EffectiveDate(IMessage message)
    {
        return message.Descriptor.FindFieldByName("effective_date")?.Accessor.GetValue(message) as Date;
    }

    public static Cause? Cause(IMessage message)
    {
        return message.Descriptor.FindFieldByName("cause")?.Accessor.GetValue(message) as Cause;
    }
}
