using Csto.Testing;
using Csto.Common.V1;
using Csto.Membership.Members;
using Csto.Membership.V1;
using Google.Protobuf;

namespace Csto.Membership.Tests.Specs;

/// <summary>Given (acts already recorded) / When (a command) / Then (events or a violation) over the pure decide functions.</summary>
public sealed class Spec
{
    PartyState _state;
    Verdict? _result;

    Spec(string party) => _state = PartyState.Empty(party);

    public static Spec For(string party) => new(party);

    public PartyState State => _state;

    public static DateOnly D(string iso) => DateOnly.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    public static Cause Treaty(string act = "Collective Security Treaty, Tashkent") => new() { TreatyAct = act };

    public static Cause Notice(string notice) => new() { Notice = notice };

    public static Cause Decision(string id) => new() { Decision = "decisions/" + id };

    public static MemberCommand Act(string party, MemberAct act, string date, Cause cause) => new(party, act, D(date), cause);

    /// <summary>Records an act that the rules accept (fails the test otherwise).</summary>
    public Spec Given(MemberAct act, string date, Cause cause, string? takesEffectOn = null)
    {
        var result = MemberDecider.Decide(_state, new MemberCommand(_state.Party, act, D(date), cause) { TakesEffectOn = takesEffectOn is null ? null : D(takesEffectOn) });
        Assert.Null(result.Violation);
        return Apply(result.Events);
    }

    /// <summary>The bodies service adopted a decision about the party and this service received it.</summary>
    public Spec GivenDecisionReceived(string id, DecisionAct act, string date) =>
        Apply([new AdoptedDecisionReceived { State = _state.Party, Decision = "decisions/" + id, Act = act, EffectiveDate = D(date).ToProto() }]);

    public Spec GivenFoundingMember()
    {
        Given(MemberAct.Signature, "1992-05-15", Treaty());
        return Given(MemberAct.EntryIntoForce, "1994-04-20", Treaty("ratifications complete"));
    }

    public Spec Apply(IEnumerable<IMessage> events)
    {
        foreach (var e in events)
        {
            _state = _state.Evolve(e);
        }

        return this;
    }

    public Spec When(MemberAct act, string? date, Cause? cause, string? takesEffectOn = null, string? party = null)
    {
        _result = MemberDecider.Decide(_state, new MemberCommand(party ?? _state.Party, act, date is null ? null : D(date), cause)
        {
            TakesEffectOn = takesEffectOn is null ? null : D(takesEffectOn),
        });
        return this;
    }

    /// <summary>Accepted: the act event of type <typeparamref name="T"/> and a status change old -> new dated <paramref name="from"/>.</summary>
    public T ThenStatusChanges<T>(MemberStatus from, MemberStatus to, string effective)
        where T : IMessage
    {
        Assert.NotNull(_result);
        Assert.Null(_result.Violation);
        Assert.Equal(2, _result.Events.Count);
        var act = Assert.IsType<T>(_result.Events[0]);
        var changed = Assert.IsType<MemberStatusChanged>(_result.Events[1]);
        Assert.Equal(_state.Party, changed.State);
        Assert.Equal(from, changed.OldStatus);
        Assert.Equal(to, changed.NewStatus);
        Assert.Equal(D(effective).ToProto(), changed.EffectiveDate);
        Assert.Equal(_state.Version + 2, changed.StreamVersion);
        Assert.Equal(EventFields.Cause(act), changed.Cause);
        Apply(_result.Events);
        return act;
    }

    public void ThenRefused(string reason)
    {
        Assert.NotNull(_result);
        Then.Refused(_result, reason);
    }

    public void ThenInvalid(string field)
    {
        Assert.NotNull(_result);
        Then.Invalid(_result, field);
    }

    public void ThenNothingNew()
    {
        Assert.NotNull(_result);
        Then.Nothing(_result);
    }
}
