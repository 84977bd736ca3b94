using Csto.Bodies.V1;
using Csto.EventLog.V1;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>One decision: every state's position, the rule, the reason, who is bound, and what it caused in the other services.</summary>
public sealed class DecisionModel(Suite suite, LogCache logs) : PageModel
{
    public Decision? Decision { get; private set; }

    public IReadOnlyList<EventRecord> Own { get; private set; } = [];

    public IReadOnlyList<(EventRecord Record, int Depth)> Caused { get; private set; } = [];

    public List<Problem> Problems { get; } = [];

    public async Task OnGetAsync(string id)
    {
        var name = "decisions/" + id;
        var records = logs.AllAsync(HttpContext.RequestAborted);
        var answer = await suite.TryAsync("bodies", async deadline => (await suite.Bodies.GetDecisionAsync(new GetDecisionRequest { Name = name }, deadline: deadline)).Decision);
        Decision = answer.Value;
        if (answer.Problem is { } p)
        {
            Problems.Add(p);
        }

        var (all, problems) = await records;
        Problems.AddRange(problems.Where(x => Problems.All(y => y.Service != x.Service)));
        Own = [.. all.Where(r => r.SourceService == "bodies" && r.StreamId == "decision-" + id).OrderBy(r => r.Position)];
        Caused = Effects.Of(all, Own);
    }
}
