using System.Globalization;
using Csto.Console;
using Csto.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PuppeteerSharp;

namespace Csto.Console.Tests;

[CollectionDefinition("console")]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>;

/// <summary>
/// The three services with the history loaded (<see cref="SuiteFixture"/>), the console on a free port calling them with
/// reader tokens signed by the hosts' key, and Debian's Chromium (CSTO_CHROMIUM, else /usr/bin/chromium) driven by PuppeteerSharp.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    readonly List<WebApplication> _consoles = [];
    readonly List<string> _timings = [];

    public SuiteFixture Suite { get; } = new();

    public string Url { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the screenshots go: CSTO_SCREENSHOTS, else TestResults/screenshots beside the test assembly.</summary>
    public static string Screenshots { get; } = Environment.GetEnvironmentVariable("CSTO_SCREENSHOTS") is { Length: > 0 } dir
        ? dir
        : Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public static string Chromium => Environment.GetEnvironmentVariable("CSTO_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"no Chromium at {Chromium}: apt-get install -y chromium (or set CSTO_CHROMIUM)");
        Directory.CreateDirectory(Screenshots);
        await Suite.InitializeAsync();
        Url = await StartConsoleAsync(Suite.Membership.Address, Suite.Bodies.Address, Suite.Operations.Address);
        Browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A console on a free port over the given service addresses; returns its address.</summary>
    public async Task<string> StartConsoleAsync(string membership, string bodies, string operations)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Production",
            ApplicationName = typeof(ConsoleHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Console:MembershipUrl"] = membership,
            ["Console:BodiesUrl"] = bodies,
            ["Console:OperationsUrl"] = operations,
            ["Console:SigningKey"] = TestTokens.Signing.Key,
            ["Console:CallTimeoutSeconds"] = "5",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        ConsoleHost.Configure(builder);
        var app = builder.Build();
        ConsoleHost.Map(app);
        await app.StartAsync();
        _consoles.Add(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>Opens <paramref name="path"/> of the console at <paramref name="baseUrl"/> (default: the suite's) in a new tab, as a person would.</summary>
    public async Task<IPage> OpenAsync(string path, string? baseUrl = null)
    {
        var page = await Browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1300, Height = 900 });
        var response = await page.GoToAsync((baseUrl ?? Url) + path, WaitUntilNavigation.Load);
        Assert.True(response.Ok, $"{path}: HTTP {(int)response.Status}");
        await TimeAsync(page, path);
        return page;
    }

    /// <summary>Follows the link whose text is <paramref name="text"/> and waits for the next page.</summary>
    public async Task ClickLinkAsync(IPage page, string text)
    {
        var index = await page.EvaluateFunctionAsync<int>("t => [...document.querySelectorAll('a')].findIndex(a => a.textContent.replace(/\\s+/g, ' ').trim() === t)", text);
        Assert.True(index >= 0, $"no link '{text}' on {page.Url}");
        var links = await page.QuerySelectorAllAsync("a");
        await Task.WhenAll(page.WaitForNavigationAsync(), links[index].ClickAsync());
        await TimeAsync(page, new Uri(page.Url).PathAndQuery);
    }

    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(Path.Combine(Screenshots, name + ".png"), new ScreenshotOptions { FullPage = true });

    /// <summary>The visible text of the first element matching <paramref name="selector"/>.</summary>
    public static async Task<string> TextAsync(IPage page, string selector) =>
        await page.EvaluateFunctionAsync<string>("s => { const e = document.querySelector(s); return e ? e.innerText.replace(/\\s+/g, ' ').trim() : ''; }", selector);

    async Task TimeAsync(IPage page, string path)
    {
        // what the browser measured: from the request to the load event (server rendering included)
        var ms = await page.EvaluateExpressionAsync<double>("performance.getEntriesByType('navigation')[0].duration");
        lock (_timings)
        {
            _timings.Add(string.Create(CultureInfo.InvariantCulture, $"{ms,8:0} ms  {path}"));
        }
    }

    public async Task DisposeAsync()
    {
        await File.WriteAllLinesAsync(Path.Combine(Screenshots, "page-load-times.txt"), _timings);
        if (Browser is not null)
        {
            await Browser.CloseAsync();
            Browser.Dispose();
        }

        foreach (var app in _consoles)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        await Suite.DisposeAsync();
    }
}
