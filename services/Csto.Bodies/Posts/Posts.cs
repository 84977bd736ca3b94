using Csto.Bodies.V1;
using Csto.Common.V1;

namespace Csto.Bodies.Posts;

/// <summary>A ChairAssumed with its log position (later facts on the same date win) and its provenance.</summary>
public sealed record ChairFact(long Position, ChairAssumed Event, Provenance? Provenance = null);

/// <summary>A SecretaryGeneralAppointed with its log position and provenance.</summary>
public sealed record AppointmentFact(long Position, SecretaryGeneralAppointed Event, Provenance? Provenance = null);

/// <summary>A SecretaryGeneralTermEnded with its log position and provenance.</summary>
public sealed record TermEndFact(long Position, SecretaryGeneralTermEnded Event, Provenance? Provenance = null);

/// <summary>The posts of the Organization over time: who chaired the Council when, and who held the post of Secretary General.</summary>
public static class Posts
{
    /// <summary>
    /// The chairs in date order. Each ChairAssumed holds from its date until the next one: Charter Article 13's
    /// default (the host of a regular session), a handover recorded at a regular session, or a Council decision. Of
    /// facts on the same date, the one recorded last wins (a decision taken at a session overrides its default).
    /// </summary>
    public static IReadOnlyList<ChairTerm> Chairs(IEnumerable<ChairFact> facts)
    {
        var ordered = facts.OrderBy(f => f.Event.FromDate.ToDateOnly()).ThenBy(f => f.Position).ToList();
        var kept = ordered.Where((f, i) => i == ordered.Count - 1 || ordered[i + 1].Event.FromDate.ToDateOnly() != f.Event.FromDate.ToDateOnly()).ToList();
        var terms = new List<ChairTerm>(kept.Count);
        for (var i = 0; i < kept.Count; i++)
        {
            var e = kept[i].Event;
            var term = new ChairTerm { State = e.State, Since = e.FromDate, Basis = e.Basis, Session = e.Session, Decision = e.Decision, Provenance = kept[i].Provenance };
            if (i + 1 < kept.Count)
            {
                term.Until = kept[i + 1].Event.FromDate.ToDateOnly().AddDays(-1).ToProto();
            }

            terms.Add(term);
        }

        return terms;
    }

    /// <summary>The chair on a date: the last chair that took over on or before it.</summary>
    public static ChairTerm? ChairOn(IEnumerable<ChairFact> facts, DateOnly asOf) =>
        Chairs(facts).LastOrDefault(c => c.Since.ToDateOnly() <= asOf);

    /// <summary>
    /// The terms of the post in order of their start: each appointment (a reappointment when the same person held the
    /// term before, an acting appointment when it says so), with its early end applied to the term of that person in
    /// office on the last day.
    /// </summary>
    public static IReadOnlyList<SecretaryGeneralTerm> Terms(IEnumerable<AppointmentFact> appointments, IEnumerable<TermEndFact> ends)
    {
        var terms = new List<SecretaryGeneralTerm>();
        foreach (var fact in appointments.OrderBy(f => f.Event.TermStart.ToDateOnly()).ThenBy(f => f.Position))
        {
            var a = fact.Event;
            terms.Add(new SecretaryGeneralTerm
            {
                PersonName = a.PersonName,
                Citizenship = a.Citizenship,
                TermStart = a.TermStart,
                TermEnd = a.TermEnd,
                Acting = a.Acting,
                Reappointment = terms.Count > 0 && string.Equals(terms[^1].PersonName, a.PersonName, StringComparison.OrdinalIgnoreCase),
                Decision = a.Decision,
                Provenance = fact.Provenance,
            });
        }

        foreach (var end in ends.OrderBy(e => e.Position))
        {
            if (HeldOn(terms, end.Event.PersonName, end.Event.LastDay.ToDateOnly()) is { } term)
            {
                term.EndedOn = end.Event.LastDay;
                term.EndReason = end.Event.Reason;
                term.EndedBy = end.Event.Decision;
                term.EndProvenance = end.Provenance;
            }
        }

        return terms;
    }

    /// <summary>The term of the named person that covers the date (from its start to its last day as appointed); the latest start wins.</summary>
    public static SecretaryGeneralTerm? HeldOn(IEnumerable<SecretaryGeneralTerm> terms, string personName, DateOnly day) =>
        terms.LastOrDefault(t => string.Equals(t.PersonName, personName, StringComparison.OrdinalIgnoreCase)
            && t.TermStart.ToDateOnly() <= day && day <= LastDay(t));

    /// <summary>The holder on a date: the term in force (not ended early before the date); of overlapping terms, the latest start.</summary>
    public static SecretaryGeneralTerm? SecretaryGeneralOn(IEnumerable<SecretaryGeneralTerm> terms, DateOnly asOf) =>
        terms.LastOrDefault(t => t.TermStart.ToDateOnly() <= asOf && asOf <= LastDay(t));

    /// <summary>The last day in office: the early end when there is one, else the term's last day.</summary>
    public static DateOnly LastDay(SecretaryGeneralTerm term) => (term.EndedOn ?? term.TermEnd).ToDateOnly();

    /// <summary>Three-year term: the last day is the day before the third anniversary of the start.</summary>
    public static DateOnly DefaultTermEnd(DateOnly start) => start.AddYears(3).AddDays(-1);
}
