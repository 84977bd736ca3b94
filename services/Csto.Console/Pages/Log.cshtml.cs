using Csto.EventLog.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>One service's log, paged (ListEvents) and filtered by position, stream prefix and type.</summary>
public sealed class LogModel(Suite suite) : PageModel
{
    public const int PageSize = 50;

    public string Service { get; private set; } = "";

    [BindProperty(SupportsGet = true)]
    public long? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Prefix { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Type { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Cursor { get; set; }

    public ListEventsResponse? Events { get; private set; }

    public List<Problem> Problems { get; } = [];

    public IReadOnlyList<string> Services => suite.Services;

    public async Task<IActionResult> OnGetAsync(string service)
    {
        if (!suite.Services.Contains(service))
        {
            return NotFound();
        }

        Service = service;
        var request = new ListEventsRequest { FromPosition = Math.Max(1, From ?? 1), PageSize = PageSize, PageToken = Cursor ?? "", Filter = new EventFilter { StreamIdPrefix = Prefix ?? "" } };
        if (!string.IsNullOrWhiteSpace(Type))
        {
            request.Filter.EventTypes.Add(Type.Trim());
        }

        var answer = await suite.TryAsync(service, async deadline => await suite.EventLog(service).ListEventsAsync(request, deadline: deadline));
        Events = answer.Value;
        if (answer.Problem is { } p)
        {
            Problems.Add(p);
        }

        return Page();
    }

    public string NextLink() =>
        $"/log/{Service}?from={From}&prefix={Uri.EscapeDataString(Prefix ?? "")}&type={Uri.EscapeDataString(Type ?? "")}&cursor={Uri.EscapeDataString(Events?.NextPageToken ?? "")}";
}
