using Csto.Operations.V1;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>Every operation.</summary>
public sealed class OperationsModel(Suite suite) : PageModel
{
    public IReadOnlyList<Operation> Operations { get; private set; } = [];

    public List<Problem> Problems { get; } = [];

    public async Task OnGetAsync()
    {
        var answer = await suite.TryAsync("operations", async deadline =>
        {
            var all = new List<Operation>();
            var request = new ListOperationsRequest { PageSize = 500 };
            do
            {
                var page = await suite.Operations.ListOperationsAsync(request, deadline: deadline);
                all.AddRange(page.Operations);
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken.Length > 0);
            return all;
        });
        Operations = answer.Value ?? [];
        if (answer.Problem is { } p)
        {
            Problems.Add(p);
        }
    }
}
