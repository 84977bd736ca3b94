using System.Globalization;
using Csto.Membership.V1;

namespace Csto.Console;

/// <summary>Days to x: a linear scale from <see cref="From"/> to <see cref="To"/> over <see cref="Width"/> units after <see cref="Left"/>; days outside are clamped.</summary>
public sealed record TimeScale(DateOnly From, DateOnly To, double Left, double Width)
{
    public double X(DateOnly day)
    {
        var span = Math.Max(1, To.DayNumber - From.DayNumber);
        return Left + (Width * Math.Clamp((day.DayNumber - From.DayNumber) / (double)span, 0, 1));
    }

    /// <summary>January 1 of every <paramref name="step"/>-th year inside the scale, with its x.</summary>
    public IEnumerable<(int Year, double X)> YearTicks(int step) =>
        Enumerable.Range(From.Year, To.Year - From.Year + 1)
            .Where(y => y % step == 0 && new DateOnly(y, 1, 1) >= From)
            .Select(y => (y, X(new DateOnly(y, 1, 1))));
}

/// <summary>One coloured period of a timeline row: what, from when, until when (the first day after it; null while it lasts), why.</summary>
public sealed record TimelineBar(string Status, DateOnly From, DateOnly? Until, string Cause, double X, double Width)
{
    /// <summary>What the hover says: "UZB suspended from 2012-12-19 (decisions/suspend-uzb-2012)".</summary>
    public string Title(string party) =>
        $"{party} {Status} from {From.ToIso()}" + (Until is { } u ? $" until {u.AddDays(-1).ToIso()}" : "") + (Cause.Length > 0 ? $" ({Cause})" : "");
}

public sealed record TimelineRow(string Party, string Kind, string Status, IReadOnlyList<TimelineBar> Bars);

public static class Timeline
{
    /// <summary>The statuses in the order of the legend, each with its colour.</summary>
    public static readonly IReadOnlyList<(string Status, string Colour)> Legend =
    [
        ("signatory", "#9ecae1"), ("member", "#2b8a3e"), ("suspended", "#e8590c"), ("frozen", "#748ffc"),
        ("withdrawn", "#adb5bd"), ("observer", "#f2c94c"), ("partner", "#c084fc"),
    ];

    public static string Name(MemberStatus status) => status switch
    {
        MemberStatus.Unspecified => "",
        _ => status.ToString().ToLowerInvariant(),
    };

    public static string Colour(string status) => Legend.FirstOrDefault(l => l.Status == status).Colour ?? "#dee2e6";

    /// <summary>A party's status periods as bars on the scale; periods wholly outside it are left out, unspecified ones too.</summary>
    public static TimelineRow Row(MemberState state, TimeScale scale)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(scale);
        var bars = new List<TimelineBar>();
        foreach (var p in state.Periods)
        {
            if (p.Status == MemberStatus.Unspecified || !Dates.TryGet(p.FromDate, out var from))
            {
                continue;
            }

            DateOnly? until = Dates.TryGet(p.ToDate, out var to) ? to : null;
            if (from > scale.To || (until is { } u && u <= scale.From))
            {
                continue;
            }

            bars.Add(Bar(Name(p.Status), from, until, Dates.Describe(p.Cause), scale));
        }

        return new TimelineRow(state.State, state.Kind == PartyKind.Organization ? "organization" : "state", Name(state.Status), bars);
    }

    /// <summary>The observers of the bodies (a body's own observers, e.g. the Parliamentary Assembly's), one row per observer and body.</summary>
    public static IEnumerable<TimelineRow> BodyObservers(IEnumerable<Csto.Bodies.V1.Body> bodies, TimeScale scale) =>
        from body in bodies
        from o in body.Observers
        where Dates.IsValid(o.AdmittedOn)
        group (body, o) by (o.Observer, body.DisplayName) into g
        select new TimelineRow(g.Key.Observer, "observer of " + g.Key.DisplayName, "observer",
            [.. g.Select(x => Bar("observer", x.o.AdmittedOn.ToDateOnly(), Dates.TryGet(x.o.EndedOn, out var e) ? e : null, "observer of " + g.Key.DisplayName, scale))]);

    static TimelineBar Bar(string status, DateOnly from, DateOnly? until, string cause, TimeScale scale)
    {
        var x0 = scale.X(from);
        var x1 = scale.X(until ?? scale.To);
        return new TimelineBar(status, from, until, cause, x0, Math.Max(1, x1 - x0));
    }
}

/// <summary>A horizontal bar chart: each bar's length is its value over the largest value, times the width.</summary>
public sealed record BarChart(string Title, IReadOnlyList<BarChart.Bar> Bars, double Width)
{
    public sealed record Bar(string Label, double Value, string Text, double Length);

    public const double LabelWidth = 190;
    public const double RowHeight = 22;

    public double Height => Math.Max(1, Bars.Count) * RowHeight + 6;

    public static BarChart Of(string title, IEnumerable<(string Label, double Value, string Text)> items, double width = 360)
    {
        var list = items.ToList();
        var max = list.Count == 0 ? 0 : list.Max(i => i.Value);
        return new BarChart(title, [.. list.Select(i => new Bar(i.Label, i.Value, i.Text, max <= 0 ? 0 : Math.Max(i.Value > 0 ? 1 : 0, width * i.Value / max)))], width);
    }

    /// <summary>"1,742 kg" (thousands separated, up to three decimals).</summary>
    public static string Kg(double kg) => FigureWords.Kg(kg) + " kg";

    public static string F(double x) => x.ToString("0.##", CultureInfo.InvariantCulture);
}
