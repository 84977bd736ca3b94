using Csto.EventLog.V1;
using Csto.Security;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>
/// Each service as its GetLogInfo says: head, relay and lag, broker, error queue, consumers, projections; or down. The
/// error queues' contents (why messages failed, the messages themselves: ListErrors) only to an operator; others see depths.
/// </summary>
public sealed class HealthModel(Suite suite) : PageModel
{
    public const int MaxErrors = 50;

    public IReadOnlyList<(string Service, string Address, Answer<GetLogInfoResponse> Info)> Services { get; private set; } = [];

    public bool SeesErrors => User.IsInRole(Roles.Operator);

    /// <summary>The parked messages of each service that answered (operators only).</summary>
    public IReadOnlyList<(string Service, Answer<ListErrorsResponse> Errors)> Errors { get; private set; } = [];

    public async Task OnGetAsync()
    {
        var infos = await Task.WhenAll(suite.Services.Select(async s =>
            (s, suite.Address(s), await suite.TryAsync(s, async deadline => await suite.EventLog(s).GetLogInfoAsync(new GetLogInfoRequest(), deadline: deadline)))));
        Services = infos;
        if (SeesErrors)
        {
            // every service that answered, whatever depth it gave: the services count a queue's ready messages, and one being
            // listed by someone else at that moment counts as none
            Errors = await Task.WhenAll(infos.Where(i => i.Item3.Ok).Select(async i =>
                (i.s, await suite.TryAsync(i.s, async deadline => await suite.EventLog(i.s).ListErrorsAsync(new ListErrorsRequest { MaxMessages = MaxErrors }, deadline: deadline)))));
        }
    }
}
