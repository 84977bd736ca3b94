using Csto.Operations.V1;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>One operation: participants, observers, stages, totals as charts, itemized reports and published aggregates apart.</summary>
public sealed class OperationModel(Suite suite) : PageModel
{
    public Operation? Operation { get; private set; }

    public OperationTotals? Totals { get; private set; }

    /// <summary>The totals of the reports dated in each year of the operation (one GetOperationTotals per year).</summary>
    public IReadOnlyList<(int Year, Totals Totals)> ByYear { get; private set; } = [];

    public List<Problem> Problems { get; } = [];

    public async Task OnGetAsync(string id)
    {
        var name = "operations/" + id;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var op = suite.TryAsync("operations", async deadline => (await suite.Operations.GetOperationAsync(new GetOperationRequest { Name = name }, deadline: deadline)).Operation);
        var totals = await suite.TryAsync("operations", async deadline => (await suite.Operations.GetOperationTotalsAsync(new GetOperationTotalsRequest { Operation = name, AsOf = today.ToProto() }, deadline: deadline)).Totals);
        var o = await op;
        Operation = o.Value;
        Totals = totals.Value;
        Problems.AddRange(new[] { o.Problem, totals.Problem }.OfType<Problem>().DistinctBy(p => p.Service));
        var years = Operation?.Reports.Where(r => Dates.IsValid(r.ReportDate)).Select(r => r.ReportDate.Year).Distinct().Order().ToList() ?? [];
        if (years.Count > 0)
        {
            var perYear = await suite.TryAsync("operations", async deadline => await Task.WhenAll(years.Select(async y =>
                (y, (await suite.Operations.GetOperationTotalsAsync(new GetOperationTotalsRequest { Operation = name, FromDate = new DateOnly(y, 1, 1).ToProto(), AsOf = new DateOnly(y, 12, 31).ToProto() }, deadline: deadline)).Totals.Total))));
            ByYear = perYear.Value ?? [];
        }
    }

    /// <summary>The totals as bar charts: by substance, by state, by stage, over time.</summary>
    public IReadOnlyList<BarChart> Charts => Totals is not { } t ? [] :
    [
        BarChart.Of("by substance (kg-equivalent)", t.Total.BySubstance.Select(x => (Names.Of(x.Substance), x.KgEquivalent, Kg(x.Qualifier, x.KgEquivalent)))),
        BarChart.Of("by state (drugs, kg)", t.ByState.Select(x => (x.State, x.Totals.DrugsKg, Kg(x.Totals.DrugsQualifier, x.Totals.DrugsKg)))),
        BarChart.Of("by stage (drugs + precursors, kg)", t.ByStage.Select(x => (x.DisplayName.Length > 0 ? x.DisplayName : x.Stage, x.Totals.DrugsKg + x.Totals.PrecursorsKg,
            Kg(x.Totals.DrugsQualifier, x.Totals.DrugsKg) + " + " + Kg(x.Totals.PrecursorsQualifier, x.Totals.PrecursorsKg)))),
        BarChart.Of("over time (drugs, kg, by year of report)", ByYear.Select(x => (x.Year.ToString(System.Globalization.CultureInfo.InvariantCulture), x.Totals.DrugsKg, Kg(x.Totals.DrugsQualifier, x.Totals.DrugsKg)))),
    ];

    public static string Kg(Qualifier qualifier, double kg) => FigureWords.Qualified(qualifier, FigureWords.Kg(kg)) + " kg";
}
