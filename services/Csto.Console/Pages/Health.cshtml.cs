using Csto.EventLog.V1;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>Each service as its GetLogInfo says: head, relay and lag, broker, error queue, consumers, projections; or down.</summary>
public sealed class HealthModel(Suite suite) : PageModel
{
    public IReadOnlyList<(string Service, string Address, Answer<GetLogInfoResponse> Info)> Services { get; private set; } = [];

    public async Task OnGetAsync()
    {
        var infos = await Task.WhenAll(suite.Services.Select(async s =>
            (s, suite.Address(s), await suite.TryAsync(s, async deadline => await suite.EventLog(s).GetLogInfoAsync(new GetLogInfoRequest(), deadline: deadline)))));
        Services = infos;
    }
}
