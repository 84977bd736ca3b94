using Csto.Membership.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>The membership timeline 1992 – today, and the roster on a chosen date.</summary>
public sealed class IndexModel(Suite suite) : PageModel
{
    public static readonly DateOnly Start = new(1992, 1, 1);

    [BindProperty(SupportsGet = true)]
    public string? Date { get; set; }

    public DateOnly Today { get; } = DateOnly.FromDateTime(DateTime.UtcNow);

    public DateOnly On { get; private set; }

    public string? DateError { get; private set; }

    public TimeScale Scale { get; private set; } = null!;

    public IReadOnlyList<TimelineRow> Rows { get; private set; } = [];

    /// <summary>Observers of the bodies (kept by the bodies service), below the parties of the treaty.</summary>
    public IReadOnlyList<TimelineRow> BodyObservers { get; private set; } = [];

    public GetRosterResponse? Roster { get; private set; }

    public List<Problem> Problems { get; } = [];

    public const double RowHeight = 20;
    public const double LabelWidth = 60;
    public const double ChartWidth = 1100;

    public async Task OnGetAsync()
    {
        Scale = new TimeScale(Start, Today.AddDays(1), LabelWidth, ChartWidth);
        On = Today;
        if (!string.IsNullOrEmpty(Date))
        {
            if (Dates.ParseIso(Date) is { } d)
            {
                On = d;
            }
            else
            {
                DateError = $"'{Date}' is not a date (YYYY-MM-DD); the roster is today's";
            }
        }

        var bodies = suite.TryAsync("bodies", async deadline => (await suite.Bodies.ListBodiesAsync(new Csto.Bodies.V1.ListBodiesRequest(), deadline: deadline)).Bodies.ToList());
        var roster = suite.TryAsync("membership", async deadline =>
            await suite.Membership.GetRosterAsync(new GetRosterRequest { AsOf = On.ToProto(), IncludeObserversAndPartners = true }, deadline: deadline));
        var parties = await suite.TryAsync("membership", async deadline =>
        {
            var all = new List<string>();
            var request = new ListMemberStatesRequest { AsOf = Today.ToProto(), PageSize = 500 };
            do
            {
                var page = await suite.Membership.ListMemberStatesAsync(request, deadline: deadline);
                all.AddRange(page.MemberStates.Select(m => m.State));
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken.Length > 0);

            var states = await Task.WhenAll(all.Select(s => suite.Membership.GetMemberStateAsync(new GetMemberStateRequest { State = s, AsOf = Today.ToProto() }, deadline: deadline).ResponseAsync));
            return states.Select(s => s.MemberState).ToList();
        });
        if (parties.Value is { } list)
        {
            // states first, then organizations; each in code order
            Rows = [.. list.OrderBy(s => s.Kind == PartyKind.Organization).ThenBy(s => s.State, StringComparer.Ordinal).Select(s => Timeline.Row(s, Scale))];
        }
        else
        {
            Problems.Add(parties.Problem!);
        }

        var b = await bodies;
        BodyObservers = b.Value is { } list2 ? [.. Timeline.BodyObservers(list2, Scale)] : [];
        if (b.Problem is { } bp)
        {
            Problems.Add(bp);
        }

        var r = await roster;
        Roster = r.Value;
        if (r.Problem is { } p && parties.Problem is null)
        {
            Problems.Add(p);
        }
    }
}
