using System.Text.Json;
using Csto.Common.V1;
using Csto.Membership.V1;
using PuppeteerSharp;

namespace Csto.Console.Tests;

/// <summary>Each page of the console in Chromium over the loaded history, checked as a person would read it.</summary>
[Collection("console")]
public sealed class ConsolePagesTests(ConsoleFixture console)
{
    [Fact]
    public async Task Timeline_shows_Uzbekistan_suspended_from_2012_12_19_and_the_roster_of_a_chosen_date()
    {
        await using var page = await console.OpenAsync("/");
        var periods = await page.EvaluateExpressionAsync<string[]>(
            "[...document.querySelectorAll('#timeline g[data-party=UZB] rect.period')].map(r => r.querySelector('title').textContent)");
        Assert.Contains(periods, t => t.StartsWith("UZB suspended from 2012-12-19", StringComparison.Ordinal) && t.Contains("decisions/suspend-uzb-2012", StringComparison.Ordinal));
        Assert.Contains(periods, t => t.StartsWith("UZB member from 2006-06-23 until 2012-12-18", StringComparison.Ordinal));
        // the observers of the bodies too: Serbia and Afghanistan in the Parliamentary Assembly (2014)
        Assert.Equal("observer of Parliamentary Assembly", await page.EvaluateExpressionAsync<string>("document.querySelector('#timeline g[data-party=SRB]').dataset.kind"));
        await ConsoleFixture.ScreenshotAsync(page, "timeline");

        // the date picker: a GET form, as without JavaScript
        await page.EvaluateExpressionAsync("document.querySelector('input[name=date]').value = '2013-01-01'");
        await Task.WhenAll(page.WaitForNavigationAsync(), page.ClickAsync("form.filters button"));
        Assert.Contains("date=2013-01-01", page.Url, StringComparison.Ordinal);
        Assert.Equal("UZB suspended 2012-12-19 no decisions/suspend-uzb-2012", await ConsoleFixture.TextAsync(page, "#roster-table tr[data-party=UZB]"));
        Assert.StartsWith("KGZ member", await ConsoleFixture.TextAsync(page, "#roster-table tr[data-party=KGZ]"), StringComparison.Ordinal);
        Assert.Equal("", await ConsoleFixture.TextAsync(page, "#roster-table tr[data-party=GEO]"));
        await ConsoleFixture.ScreenshotAsync(page, "roster-2013-01-01");
    }

    [Fact]
    public async Task Suspension_decision_of_2012_12_19_lists_six_supporting_states_and_Uzbekistan_without_a_voice()
    {
        await using var page = await console.OpenAsync("/decisions?body=bodies%2Fcsc&year=2012");
        await console.ClickLinkAsync(page, "Suspension of Uzbekistan's participation");
        Assert.EndsWith("/decisions/suspend-uzb-2012", page.Url, StringComparison.Ordinal);
        var supporting = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#positions tr[data-position=support] td:first-child')].map(td => td.textContent)");
        Assert.Equal(["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"], supporting);
        Assert.Equal("UZB without a voice no", await ConsoleFixture.TextAsync(page, "#positions tr[data-state=UZB]"));
        Assert.Equal("consensus", await ConsoleFixture.TextAsync(page, "#rule"));
        Assert.Equal("ARM, BLR, KAZ, KGZ, RUS, TJK", await ConsoleFixture.TextAsync(page, "#bound"));
        // what it caused elsewhere: membership suspended UZB, and the rosters of bodies and operations followed
        var caused = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#caused tr[data-service]')].map(tr => tr.dataset.service + ' ' + tr.children[3].textContent)");
        Assert.Contains("membership ParticipationSuspended", caused);
        Assert.Contains("bodies RosterStatusRecorded", caused);
        Assert.Contains("operations RosterStatusRecorded", caused);
        await ConsoleFixture.ScreenshotAsync(page, "decision");
    }

    [Fact]
    public async Task Trace_of_a_decision_crosses_the_three_services()
    {
        await using var page = await console.OpenAsync("/decisions/suspend-uzb-2012");
        var link = await page.QuerySelectorAsync("a[href^='/trace?id=']");
        Assert.NotNull(link);
        await Task.WhenAll(page.WaitForNavigationAsync(), link.ClickAsync());
        var services = await page.EvaluateExpressionAsync<string[]>("[...new Set([...document.querySelectorAll('#trace tr[data-service]')].map(tr => tr.dataset.service))].sort()");
        Assert.Equal(["bodies", "membership", "operations"], services);
        Assert.Contains("in 3 services", await ConsoleFixture.TextAsync(page, "#trace-summary"), StringComparison.Ordinal);
        await ConsoleFixture.ScreenshotAsync(page, "trace");
    }

    [Fact]
    public async Task Channel_shows_the_stage_totals_of_its_reports_as_the_history_gives_them()
    {
        var (drugs, precursors) = MountainOutpostFromHistory();
        Assert.Equal((1742, 341), (drugs, precursors)); // domain.md: 1,742 kg seized plus 341 kg of precursors

        await using var page = await console.OpenAsync("/operations");
        await console.ClickLinkAsync(page, "Channel");
        var row = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#stages tr[data-stage=\"Channel-Mountain Outpost\"] td')].map(td => td.textContent.trim())");
        Assert.Equal(["Channel-Mountain Outpost", "2025-05-18", "2025-05-23", FigureWords.Kg(drugs) + " kg", FigureWords.Kg(precursors) + " kg", "3"], row);
        Assert.Equal("1,742 kg", row[3]);
        Assert.Equal("341 kg", row[4]);
        // the charts are SVG drawn on the server; the published aggregates stand apart from the reports
        Assert.True(await page.EvaluateExpressionAsync<int>("document.querySelectorAll('figure svg rect').length") >= 4);
        Assert.Contains("about 245,000 kg of drugs", await ConsoleFixture.TextAsync(page, "#published"), StringComparison.Ordinal);
        await ConsoleFixture.ScreenshotAsync(page, "operation-channel");
    }

    [Fact]
    public async Task Chairs_and_Secretaries_General_are_listed_over_time()
    {
        await using var page = await console.OpenAsync("/chairs");
        var chairs = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#chairs tr')].slice(1).map(tr => tr.children[0].textContent + ' ' + tr.children[1].textContent)");
        Assert.Contains("KGZ 2012-12-19", chairs);
        Assert.Contains("RUS 2024-11-28", chairs);
        Assert.Contains("Imangali Tasmagambetov", await ConsoleFixture.TextAsync(page, "#secretaries"), StringComparison.Ordinal);
        Assert.True(await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#posts rect').length") >= 10);
        await ConsoleFixture.ScreenshotAsync(page, "chairs");
    }

    [Fact]
    public async Task Event_log_is_paged_and_filtered_and_one_event_shows_its_metadata()
    {
        await using var page = await console.OpenAsync("/log/bodies?prefix=decision-suspend-uzb-2012");
        var streams = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#events tr')].slice(1).map(tr => tr.children[3].textContent)");
        Assert.NotEmpty(streams);
        Assert.All(streams, s => Assert.Equal("decision-suspend-uzb-2012", s));

        await using var all = await console.OpenAsync("/log/membership");
        var first = await all.EvaluateExpressionAsync<string>("document.querySelector('#events tr:nth-child(2) td').textContent");
        Assert.Equal("#1", first);
        await Task.WhenAll(all.WaitForNavigationAsync(), all.ClickAsync("#next"));
        Assert.Equal("#51", await all.EvaluateExpressionAsync<string>("document.querySelector('#events tr:nth-child(2) td').textContent"));
        await ConsoleFixture.ScreenshotAsync(all, "log");

        await Task.WhenAll(all.WaitForNavigationAsync(), all.ClickAsync("#events tr:nth-child(2) a"));
        var facts = await ConsoleFixture.TextAsync(all, "#event");
        Assert.Contains("position 51", facts, StringComparison.Ordinal);
        Assert.Contains("correlation id", facts, StringComparison.Ordinal);
        Assert.Contains("provenance", facts, StringComparison.Ordinal);
        Assert.StartsWith("{", await ConsoleFixture.TextAsync(all, "#data"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_shows_each_service_with_its_head_and_relay_lag()
    {
        await using var page = await console.OpenAsync("/health");
        foreach (var service in new[] { "membership", "bodies", "operations" })
        {
            var cells = await page.EvaluateExpressionAsync<string[]>($"[...document.querySelectorAll('#health tr[data-service={service}] td')].map(td => td.textContent.trim())");
            Assert.Equal("up", cells[1]);
            Assert.True(long.Parse(cells[2], System.Globalization.CultureInfo.InvariantCulture) > 0, $"{service} head {cells[2]}");
        }

        await ConsoleFixture.ScreenshotAsync(page, "health");
    }

    [Fact]
    public async Task A_service_that_is_down_shows_as_down_on_the_page()
    {
        // a console whose operations address answers nothing (a port nobody listens on)
        var port = Csto.Testing.RabbitMqFixture.FreePorts(1)[0];
        var url = await console.StartConsoleAsync(console.Suite.Membership.Address, console.Suite.Bodies.Address, $"http://127.0.0.1:{port}");

        await using var health = await console.OpenAsync("/health", url);
        Assert.StartsWith("down", await ConsoleFixture.TextAsync(health, "#health tr[data-service=operations] td:nth-child(2)"), StringComparison.Ordinal);
        Assert.Equal("up", await ConsoleFixture.TextAsync(health, "#health tr[data-service=membership] td:nth-child(2)"));
        await ConsoleFixture.ScreenshotAsync(health, "health-operations-down");

        await using var operations = await console.OpenAsync("/operations", url);
        Assert.StartsWith("operations: down", await ConsoleFixture.TextAsync(operations, ".down[data-service=operations]"), StringComparison.Ordinal);
        await using var decision = await console.OpenAsync("/decisions/suspend-uzb-2012", url);
        Assert.Equal(6, await decision.EvaluateExpressionAsync<int>("document.querySelectorAll('#positions tr[data-position=support]').length"));
        Assert.StartsWith("operations: down", await ConsoleFixture.TextAsync(decision, ".down[data-service=operations]"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_with_HTML_special_characters_is_shown_as_text_not_markup()
    {
        const string notice = "<img src=x onerror=\"document.title='pwned'\"> & <b>bold</b> \"quoted\"";
        var client = new MembershipService.MembershipServiceClient(console.Suite.Membership.Channel);
        await client.GrantObserverStatusAsync(new GrantObserverStatusRequest
        {
            State = "escape-test-org",
            EffectiveDate = new DateOnly(2020, 1, 1).ToProto(),
            Cause = new Cause { Notice = notice },
            RequestId = "console-escape-test",
            Provenance = new Provenance { Basis = Basis.Illustrative, Reason = "a test of the console's escaping" },
        });

        await using var page = await console.OpenAsync("/?date=2021-01-01");
        var title = await page.EvaluateExpressionAsync<string>("document.querySelector('#timeline g[data-party=\"escape-test-org\"] rect title').textContent");
        Assert.Equal($"escape-test-org observer from 2020-01-01 (notice: {notice})", title);
        Assert.Equal("notice: " + notice, await page.EvaluateExpressionAsync<string>("document.querySelector('#roster-table tr[data-party=\"escape-test-org\"] td:last-child').textContent.trim()"));
        Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('main img, main b').length"));
        Assert.DoesNotContain("pwned", await page.GetTitleAsync(), StringComparison.Ordinal);
    }

    /// <summary>The kg of drugs and of precursors that the history's reports of the stage "Channel-Mountain Outpost" itemize.</summary>
    static (double Drugs, double Precursors) MountainOutpostFromHistory()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "History", "csto-history.json")));
        double drugs = 0, precursors = 0;
        foreach (var step in Steps(doc.RootElement))
        {
            if (step.TryGetProperty("operation", out var op) && op.TryGetProperty("report", out var report)
                && report.GetProperty("operation").GetString() == "Channel" && report.TryGetProperty("stage", out var stage) && stage.GetString() == "Channel-Mountain Outpost")
            {
                foreach (var s in report.GetProperty("figures").GetProperty("seizures").EnumerateArray())
                {
                    Assert.Equal("UNIT_KILOGRAM", s.GetProperty("unit").GetString());
                    var kg = s.GetProperty("amount").GetDouble();
                    if (s.GetProperty("substance").GetString() == "SUBSTANCE_PRECURSOR")
                    {
                        precursors += kg;
                    }
                    else
                    {
                        drugs += kg;
                    }
                }
            }
        }

        return (drugs, precursors);
    }

    static IEnumerable<JsonElement> Steps(JsonElement root) =>
        root.ValueKind == JsonValueKind.Array ? root.EnumerateArray() : root.GetProperty("steps").EnumerateArray();
}
