using Csto.Bodies.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>Decisions by body and year.</summary>
public sealed class DecisionsModel(Suite suite) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Body { get; set; }

    [BindProperty(SupportsGet = true)]
    public int? Year { get; set; }

    public IReadOnlyList<Body> Bodies { get; private set; } = [];

    public IReadOnlyList<Decision> Decisions { get; private set; } = [];

    public List<Problem> Problems { get; } = [];

    public int ThisYear { get; } = DateTime.UtcNow.Year;

    public async Task OnGetAsync()
    {
        var bodies = suite.TryAsync("bodies", async deadline => (await suite.Bodies.ListBodiesAsync(new ListBodiesRequest(), deadline: deadline)).Bodies.ToList());
        var decisions = await suite.TryAsync("bodies", async deadline =>
        {
            var all = new List<Decision>();
            var request = new ListDecisionsRequest { Body = string.IsNullOrEmpty(Body) ? "" : Body, PageSize = 500 };
            if (Year is { } y and >= 1 and <= 9999)
            {
                request.FromDate = new DateOnly(y, 1, 1).ToProto();
                request.ToDate = new DateOnly(y, 12, 31).ToProto();
            }

            do
            {
                var page = await suite.Bodies.ListDecisionsAsync(request, deadline: deadline);
                all.AddRange(page.Decisions);
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken.Length > 0);
            return all;
        });
        Decisions = decisions.Value ?? [];
        var b = await bodies;
        Bodies = b.Value ?? [];
        Problems.AddRange(new[] { decisions.Problem, b.Problem }.OfType<Problem>().DistinctBy(p => p.Service));
    }

    public string BodyName(string name) => Bodies.FirstOrDefault(b => b.Name == name)?.DisplayName ?? name;
}
