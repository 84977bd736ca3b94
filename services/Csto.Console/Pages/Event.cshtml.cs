using Csto.EventLog.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>One event of one log, with its metadata and its data decoded.</summary>
public sealed class EventModel(Suite suite) : PageModel
{
    public string Service { get; private set; } = "";

    public EventRecord? Record { get; private set; }

    public List<Problem> Problems { get; } = [];

    public async Task<IActionResult> OnGetAsync(string service, long position)
    {
        if (!suite.Services.Contains(service))
        {
            return NotFound();
        }

        Service = service;
        var answer = await suite.TryAsync(service, async deadline =>
            (await suite.EventLog(service).ListEventsAsync(new ListEventsRequest { FromPosition = position, ToPosition = position, PageSize = 1 }, deadline: deadline)).Records.FirstOrDefault());
        Record = answer.Value;
        if (answer.Problem is { } p)
        {
            Problems.Add(p);
        }

        return Page();
    }
}
