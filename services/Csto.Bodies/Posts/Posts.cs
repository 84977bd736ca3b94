using Csto.Bodies.Shared;
using Csto.Bodies.V1;

namespace Csto.Bodies.Posts;

/// <summary>A ChairAssumed with its log position (later facts on the same date win).</summary>
public sealed record ChairFact(long Position, ChairAssumed Event);

public sealed record AppointmentFact(long Position, SecretaryGeneralAppointed Event);

public static class Posts
{
    /// <summary>
    /// Charter Article 13: the host of the latest regular session chairs until the next one, unless the Council decided
    /// otherwise; a Council decision is a ChairAssumed too, so the latest one in force on the date wins.
    /// </summary>
    public static ChairAssumed? ChairOn(IEnumerable<ChairFact> facts, DateOnly asOf) =>
        facts.Where(f => f.Event.FromDate.ToDateOnly() <= asOf)
            .OrderBy(f => f.Event.FromDate.ToDateOnly())
            .ThenBy(f => f.Position)
            .LastOrDefault()?.Event;

    /// <summary>The appointment whose term covers the date; of overlapping terms (a recall and a successor), the latest start.</summary>
    public static SecretaryGeneralAppointed? SecretaryGeneralOn(IEnumerable<AppointmentFact> facts, DateOnly asOf) =>
        facts.Where(f => f.Event.TermStart.ToDateOnly() <= asOf && asOf <= f.Event.TermEnd.ToDateOnly())
            .OrderBy(f => f.Event.TermStart.ToDateOnly())
            .ThenBy(f => f.Position)
            .LastOrDefault()?.Event;

    /// <summary>Three-year term: the last day is the day before the third anniversary of the start.</summary>
    public static DateOnly DefaultTermEnd(DateOnly start) => start.AddYears(3).AddDays(-1);
}
