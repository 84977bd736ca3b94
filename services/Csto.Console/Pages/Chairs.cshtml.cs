using Csto.Bodies.V1;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>The chair of the Council and the Secretaries General over time.</summary>
public sealed class ChairsModel(Suite suite) : PageModel
{
    public IReadOnlyList<ChairTerm> Chairs { get; private set; } = [];

    public IReadOnlyList<SecretaryGeneralTerm> Secretaries { get; private set; } = [];

    public List<Problem> Problems { get; } = [];

    public TimeScale Scale { get; private set; } = null!;

    public DateOnly Today { get; } = DateOnly.FromDateTime(DateTime.UtcNow);

    public async Task OnGetAsync()
    {
        var chairs = suite.TryAsync("bodies", async deadline => (await suite.Bodies.ListChairsAsync(new ListChairsRequest(), deadline: deadline)).Chairs.ToList());
        var sgs = await suite.TryAsync("bodies", async deadline => (await suite.Bodies.ListSecretariesGeneralAsync(new ListSecretariesGeneralRequest(), deadline: deadline)).Terms.ToList());
        var c = await chairs;
        Chairs = c.Value ?? [];
        Secretaries = sgs.Value ?? [];
        Problems.AddRange(new[] { c.Problem, sgs.Problem }.OfType<Problem>().DistinctBy(p => p.Service));
        var starts = Chairs.Select(x => x.Since).Concat(Secretaries.Select(x => x.TermStart)).Where(Dates.IsValid).Select(x => x!.ToDateOnly()).ToList();
        var from = starts.Count == 0 ? new DateOnly(2003, 1, 1) : new DateOnly(starts.Min().Year, 1, 1);
        Scale = new TimeScale(from, Today.AddDays(1), 150, 1000);
    }

    /// <summary>The last day in office of a term: ended early, else as appointed, else today.</summary>
    public DateOnly LastDay(SecretaryGeneralTerm t) =>
        Dates.TryGet(t.EndedOn, out var e) ? e : Dates.TryGet(t.TermEnd, out var end) ? end : Today;

    public (double X, double Width) Span(Csto.Common.V1.Date? from, DateOnly lastDay)
    {
        var x0 = Dates.TryGet(from, out var f) ? Scale.X(f) : Scale.Left;
        var x1 = Scale.X(lastDay.AddDays(1));
        return (x0, Math.Max(1, x1 - x0));
    }
}
