using Csto.Common.V1;
using Csto.Kernel;
using Csto.Membership.V1;
using Google.Protobuf;

namespace Csto.Membership.Members;

/// <summary>
/// The rules of membership as pure functions: state + command -> events or a violation. Reasons in
/// violations are the ErrorInfo.reason clients see.
/// </summary>
public static partial class MemberDecider
{
    /// <summary>The Treaty was signed in Tashkent: no treaty act can be dated earlier.</summary>
    public static readonly DateOnly TreatySigned = new(1992, 5, 15);

    /// <summary>The Treaty entered into force; its terms run five years from this date.</summary>
    public static readonly DateOnly TreatyInForce = new(1994, 4, 20);

    /// <summary>The events of the act, or why not (a rule's refusal names the party in ErrorInfo.metadata["state"]).</summary>
    public static Verdict Decide(PartyState state, MemberCommand command)
    {
        var verdict = DecideAct(state, command);
        return verdict.Violation is RuleBroken { Metadata: null } rule
            ? Verdict.Of(rule with { Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["state"] = command.Party } })
            : verdict;
    }

    static Verdict DecideAct(PartyState state, MemberCommand command)
    {
        if (Parties.Problem(command.Party, "state", Parties.OrganizationMayBe(command.Act)) is { } partyProblem)
        {
            return partyProblem;
        }

        if (CauseProblem(command.Cause) is { } causeProblem)
        {
            return causeProblem;
        }

        var cause = command.Cause!;
        var decision = cause.KindCase == Cause.KindOneofCase.Decision ? cause.Decision : null;
        var seen = decision is not null ? state.Decisions.GetValueOrDefault(decision) : null;
        if (decision is not null && state.AppliedDecisions.Contains(decision) && (seen is null || ActOf(seen.Act) == command.Act))
        {
            // the act this decision asks for is already recorded (by the consumer or an earlier call)
            return Verdict.Nothing;
        }

        var date = command.EffectiveDate ?? seen?.EffectiveDate;
        if (date is not { } day)
        {
            return Verdict.Invalid("effective_date", "required");
        }

        if (day < TreatySigned)
        {
            return Verdict.Invalid("effective_date", $"{day:yyyy-MM-dd} is before the Collective Security Treaty was signed (1992-05-15)");
        }

        if (ReservedAct(command.Act, day) is { } reserved && DecisionProblem(reserved, command, decision, seen, day) is { } decisionProblem)
        {
            return decisionProblem;
        }

        // acts recorded through the API come in time order; an adopted decision takes effect on its date whenever it
        // arrives, before acts of other decisions that arrived first, never before an act recorded through the API
        if ((command.FromDecision ? state.LastOwnActDate : state.LastActDate) is { } last && day < last)
        {
            return Verdict.Rule("ACTS_OUT_OF_ORDER",
                $"{command.Party}: an act dated {day:yyyy-MM-dd} is before its latest recorded act ({last:yyyy-MM-dd}); record history in time order");
        }

        var current = state.StatusOn(day);
        return command.Act switch
        {
            MemberAct.Signature => Signature(state, command, day, current, cause),
            MemberAct.EntryIntoForce => EntryIntoForce(state, command, day, current, cause),
            MemberAct.Accession => Accession(state, command, day, current, cause),
            MemberAct.Suspension => current switch
            {
                MemberStatus.Member or MemberStatus.Frozen => Change(state, new ParticipationSuspended { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause, Grounds = Grounds(command, seen) }, day, current, MemberStatus.Suspended, cause),
                MemberStatus.Suspended => Violation("ALREADY_SUSPENDED", $"{command.Party}'s participation is already suspended on {day:yyyy-MM-dd}"),
                _ => NotAMember(command.Party, day, current),
            },
            MemberAct.Restoration => current == MemberStatus.Suspended
                ? Change(state, new ParticipationRestored { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause }, day, current, MemberStatus.Member, cause)
                : Violation("NOT_SUSPENDED", $"{command.Party}'s participation is not suspended on {day:yyyy-MM-dd} (status {Name(current)})"),
            MemberAct.Freeze => current switch
            {
                MemberStatus.Member => Change(state, new ParticipationFrozen { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause }, day, current, MemberStatus.Frozen, cause),
                MemberStatus.Frozen => Violation("ALREADY_FROZEN", $"{command.Party}'s participation is already frozen on {day:yyyy-MM-dd}"),
                MemberStatus.Suspended => Violation("PARTICIPATION_SUSPENDED", $"{command.Party}'s participation is suspended on {day:yyyy-MM-dd}; there is nothing to freeze"),
                _ => NotAMember(command.Party, day, current),
            },
            MemberAct.Unfreeze => current == MemberStatus.Frozen
                ? Change(state, new ParticipationUnfrozen { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause }, day, current, MemberStatus.Member, cause)
                : Violation("NOT_FROZEN", $"{command.Party}'s participation is not frozen on {day:yyyy-MM-dd} (status {Name(current)})"),
            MemberAct.WithdrawalNotice => WithdrawalNotice(state, command, day, current, cause),
            MemberAct.TermEnd => TermEnd(state, command, day, current, cause),
            MemberAct.Exclusion => current is MemberStatus.Member or MemberStatus.Suspended or MemberStatus.Frozen
                ? Change(state, new MemberExcluded { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause, Grounds = Grounds(command, seen) }, day, current, MemberStatus.Withdrawn, cause)
                : NotAMember(command.Party, day, current),
            MemberAct.ObserverGranted => current switch
            {
                MemberStatus.Unspecified or MemberStatus.Withdrawn => Change(state, new ObserverStatusGranted { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause }, day, current, MemberStatus.Observer, cause),
                MemberStatus.Observer => Violation("ALREADY_OBSERVER", $"{command.Party} is already an observer on {day:yyyy-MM-dd}"),
                MemberStatus.Partner => Violation("ALREADY_PARTNER", $"{command.Party} is a partner on {day:yyyy-MM-dd}; end the partnership first"),
                _ => Violation("ALREADY_A_MEMBER", $"{command.Party} is a party to the Treaty on {day:yyyy-MM-dd} (status {Name(current)}); observers are non-members (Charter Article 21)"),
            },
            MemberAct.PartnerGranted => current switch
            {
                MemberStatus.Unspecified or MemberStatus.Withdrawn or MemberStatus.Observer => Change(state, new PartnerStatusGranted { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause }, day, current, MemberStatus.Partner, cause),
                MemberStatus.Partner => Violation("ALREADY_PARTNER", $"{command.Party} is already a partner on {day:yyyy-MM-dd}"),
                _ => Violation("ALREADY_A_MEMBER", $"{command.Party} is a party to the Treaty on {day:yyyy-MM-dd} (status {Name(current)}); partners are non-members (Charter Article 21)"),
            },
            MemberAct.ObserverEnded => current == MemberStatus.Observer
                ? Change(state, new ObserverStatusEnded { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause }, day, current, NonMemberBase(state), cause)
                : Violation("NOT_AN_OBSERVER", $"{command.Party} is not an observer on {day:yyyy-MM-dd} (status {Name(current)})"),
            MemberAct.PartnerEnded => current == MemberStatus.Partner
                ? Change(state, new PartnerStatusEnded { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause }, day, current, NonMemberBase(state), cause)
                : Violation("NOT_A_PARTNER", $"{command.Party} is not a partner on {day:yyyy-MM-dd} (status {Name(current)})"),
            _ => throw new ArgumentOutOfRangeException(nameof(command), command.Act, "unknown act"),
        };
    }

    static Verdict Signature(PartyState state, MemberCommand command, DateOnly day, MemberStatus current, Cause cause)
    {
        if (day >= TreatyInForce)
        {
            return Violation("SIGNATURE_AFTER_ENTRY_INTO_FORCE", $"the Treaty is in force since {TreatyInForce:yyyy-MM-dd}; a state joins by accession (Charter Article 19)");
        }

        return current is MemberStatus.Unspecified or MemberStatus.Withdrawn or MemberStatus.Observer or MemberStatus.Partner
            ? Change(state, new TreatySigned { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause }, day, current, MemberStatus.Signatory, cause)
            : Violation("ALREADY_A_PARTY", $"{command.Party} is already a party on {day:yyyy-MM-dd} (status {Name(current)})");
    }

    static Verdict EntryIntoForce(PartyState state, MemberCommand command, DateOnly day, MemberStatus current, Cause cause)
    {
        if (day < TreatyInForce)
        {
            return Violation("TREATY_NOT_YET_IN_FORCE", $"the Treaty entered into force on {TreatyInForce:yyyy-MM-dd}, not before");
        }

        return current == MemberStatus.Signatory
            ? Change(state, new TreatyEnteredIntoForce { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause }, day, current, MemberStatus.Member, cause)
            : Violation("NOT_A_SIGNATORY", $"{command.Party} is not a signatory awaiting entry into force on {day:yyyy-MM-dd} (status {Name(current)})");
    }

    static Verdict Accession(PartyState state, MemberCommand command, DateOnly day, MemberStatus current, Cause cause)
    {
        if (current is not (MemberStatus.Unspecified or MemberStatus.Withdrawn or MemberStatus.Observer or MemberStatus.Partner))
        {
            return Violation("ALREADY_A_PARTY", $"{command.Party} is already a party on {day:yyyy-MM-dd} (status {Name(current)})");
        }

        // Before entry into force an accession joins the parties waiting for it; afterwards it makes a member at once.
        var resulting = day < TreatyInForce ? MemberStatus.Signatory : MemberStatus.Member;
        return Change(state, new StateAcceded { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause, ResultingStatus = resulting }, day, current, resulting, cause);
    }

    static Verdict WithdrawalNotice(PartyState state, MemberCommand command, DateOnly day, MemberStatus current, Cause cause)
    {
        if (command.TakesEffectOn is not { } effect)
        {
            return Verdict.Invalid("takes_effect_on", "required: the date the withdrawal takes effect");
        }

        if (current is not (MemberStatus.Member or MemberStatus.Suspended or MemberStatus.Frozen))
        {
            return NotAMember(command.Party, day, current);
        }

        if (state.WithdrawalTakesEffectOn is { } pending && pending > day)
        {
            return Violation("WITHDRAWAL_ALREADY_NOTIFIED", $"{command.Party} already gave notice of withdrawal taking effect on {pending:yyyy-MM-dd}");
        }

        if (effect < day.AddMonths(6))
        {
            return Violation("WITHDRAWAL_NOTICE_TOO_SHORT",
                $"Charter Article 19: a withdrawal takes effect at least six months after the notice; notice {day:yyyy-MM-dd}, so not before {day.AddMonths(6):yyyy-MM-dd} (asked {effect:yyyy-MM-dd})");
        }

        var notice = new WithdrawalNotified { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause, TakesEffectOn = effect.ToProto() };
        return Change(state, notice, effect, state.StatusOn(effect), MemberStatus.Withdrawn, cause);
    }

    static Verdict TermEnd(PartyState state, MemberCommand command, DateOnly day, MemberStatus current, Cause cause)
    {
        var years = day.Year - TreatyInForce.Year;
        if (years <= 0 || years % 5 != 0 || day != TreatyInForce.AddYears(years))
        {
            return Violation("NOT_A_TERM_END", $"{day:yyyy-MM-dd} is not the end of a five-year term of the Treaty (in force {TreatyInForce:yyyy-MM-dd}; terms end on April 20 every five years)");
        }

        return current is MemberStatus.Signatory or MemberStatus.Member or MemberStatus.Suspended or MemberStatus.Frozen
            ? Change(state, new TermEndedWithoutRenewal { State = command.Party, EffectiveDate = day.ToProto(), Cause = cause }, day, current, MemberStatus.Withdrawn, cause)
            : Violation("NOT_A_PARTY", $"{command.Party} is not a party to the Treaty on {day:yyyy-MM-dd} (status {Name(current)})");
    }

    /// <summary>The act and the status change it makes, dated <paramref name="from"/>; the change carries the stream version after both.</summary>
    static Verdict Change(PartyState state, IMessage act, DateOnly from, MemberStatus old, MemberStatus @new, Cause cause) =>
        Verdict.Accept(act, new MemberStatusChanged
        {
            State = state.Party,
            OldStatus = old,
            NewStatus = @new,
            EffectiveDate = from.ToProto(),
            StreamVersion = state.Version + 2,
            Cause = cause,
        });

    static MemberStatus NonMemberBase(PartyState state) => state.WasEverParty ? MemberStatus.Withdrawn : MemberStatus.Unspecified;

    static string Grounds(MemberCommand command, ReceivedDecision? seen) => command.Grounds.Length > 0 ? command.Grounds : seen?.Grounds ?? "";

    static Verdict NotAMember(string party, DateOnly day, MemberStatus current) =>
        Violation("NOT_A_MEMBER", $"{party} is not a member on {day:yyyy-MM-dd} (status {Name(current)})");

    static Verdict Violation(string reason, string message) => Verdict.Rule(reason, message);

    public static string Name(MemberStatus status) => status switch
    {
        MemberStatus.Unspecified => "none",
        MemberStatus.Signatory => "signatory",
        MemberStatus.Member => "member",
        MemberStatus.Suspended => "suspended",
        MemberStatus.Frozen => "frozen",
        MemberStatus.Withdrawn => "withdrawn",
        MemberStatus.Observer => "observer",
        MemberStatus.Partner => "partner",
        _ => status.ToString(),
    };
}
