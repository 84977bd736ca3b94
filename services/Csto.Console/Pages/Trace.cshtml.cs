using Csto.EventLog.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>The trace of a decision or a report across the three logs: every record with one correlation id.</summary>
public sealed class TraceModel(LogCache logs) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Id { get; set; }

    public IReadOnlyList<EventRecord> Records { get; private set; } = [];

    public List<Problem> Problems { get; } = [];

    public async Task OnGetAsync()
    {
        if (string.IsNullOrWhiteSpace(Id))
        {
            return;
        }

        var (all, problems) = await logs.AllAsync(HttpContext.RequestAborted);
        Problems.AddRange(problems);
        Records = Effects.Correlated(all, Id.Trim());
    }
}
