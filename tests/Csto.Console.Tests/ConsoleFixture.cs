using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
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
/// The three services with the history loaded (<see cref="SuiteFixture"/>), the console on a free port (it holds no key
/// and no token: a user signs in with one), and Debian's Chromium (CSTO_CHROMIUM, else /usr/bin/chromium) driven by
/// PuppeteerSharp, with a browser context signed in as a reader (<see cref="Reader"/>).
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    readonly List<WebApplication> _consoles = [];
    readonly List<string> _timings = [];

    public SuiteFixture Suite { get; } = new();

    public string Url { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>A browser context (its own cookies) signed in with a reader's token: the pages as most users see them.</summary>
    public IBrowserContext Reader { get; private set; } = null!;

    public const string ReaderSubject = "test-reader";

    /// <summary>Where every console of the fixture keeps its data-protection keys (one folder: a cookie of one opens the others).</summary>
    public string KeysFolder => Path.Combine(Suite.DataDir, "console-keys");

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
        Reader = await Browser.CreateBrowserContextAsync();
        await using var signedIn = await SignInAsync(Reader, TestTokens.For("reader", subject: ReaderSubject));
        Assert.EndsWith("/", signedIn.Url, StringComparison.Ordinal);
    }

    /// <summary>Signs <paramref name="context"/> in through the login form, as a person pastes a token; returns the page it lands on.</summary>
    public async Task<IPage> SignInAsync(IBrowserContext context, string token, string path = "/login")
    {
        ArgumentNullException.ThrowIfNull(context);
        var page = await context.NewPageAsync();
        await page.GoToAsync(Url + path, WaitUntilNavigation.Load);
        await page.EvaluateFunctionAsync("t => document.querySelector('#token').value = t", token);
        await Task.WhenAll(page.WaitForNavigationAsync(), page.ClickAsync("form.login button"));
        return page;
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
            ["Console:KeysFolder"] = KeysFolder,
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

    /// <summary>
    /// Opens <paramref name="path"/> of the console at <paramref name="baseUrl"/> (default: the suite's) in a new tab of
    /// <paramref name="context"/> (default: <see cref="Reader"/>), as a person would; fails on any breach of the page's
    /// Content-Security-Policy (an inline style or script the browser refused).
    /// </summary>
    public async Task<IPage> OpenAsync(string path, string? baseUrl = null, IBrowserContext? context = null)
    {
        var page = await (context ?? Reader).NewPageAsync();
        var refused = new List<string>();
        page.Console += (_, e) =>
        {
            if (e.Message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                lock (refused)
                {
                    refused.Add(e.Message.Text);
                }
            }
        };
        await page.SetViewportAsync(new ViewPortOptions { Width = 1300, Height = 900 });
        var response = await page.GoToAsync((baseUrl ?? Url) + path, WaitUntilNavigation.Load);
        Assert.True(response.Ok, $"{path}: HTTP {(int)response.Status}");
        Assert.DoesNotContain("/login", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal);
        lock (refused)
        {
            Assert.True(refused.Count == 0, $"{path}: {string.Join("; ", refused)}");
        }

        await TimeAsync(page, path);
        return page;
    }

    /// <summary>An HTTP client of the console that follows no redirect and keeps its cookies (anonymous until <see cref="SignInAsync(HttpClient, string, string)"/>).</summary>
    public HttpClient Client(CookieContainer? cookies = null) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies ?? new CookieContainer(), UseCookies = true }, disposeHandler: true) { BaseAddress = new Uri(Url) };

    /// <summary>Posts the login form with its antiforgery token, as the browser would; returns the response (302 when signed in).</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string token, string returnUrl = "")
    {
        ArgumentNullException.ThrowIfNull(client);
        var form = await client.GetStringAsync(new Uri("/login", UriKind.Relative));
        return await client.PostAsync(new Uri("/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token,
            ["returnUrl"] = returnUrl,
            ["__RequestVerificationToken"] = AntiforgeryToken(form),
        }));
    }

    /// <summary>The antiforgery token of the (first) form of a page.</summary>
    public static string AntiforgeryToken(string html)
    {
        var match = Regex.Match(html, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"");
        Assert.True(match.Success, "no antiforgery token in the page");
        return match.Groups[1].Value;
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
        if (Reader is not null)
        {
            await Reader.CloseAsync();
        }

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
