using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Csto.EventLog.V1;
using Csto.EventLog.Wire;
using Csto.Membership.V1;
using Csto.Security;
using Csto.Testing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;
using PuppeteerSharp;
using RabbitMQ.Client;

namespace Csto.Console.Tests;

/// <summary>The console as a place one signs in to (issue 28): who may see what, how a session ends, what every response carries.</summary>
[Collection("console")]
public sealed class ConsoleLoginTests(ConsoleFixture console)
{
    /// <summary>Every page of the console, each with data of the loaded history.</summary>
    static readonly string[] PagePaths =
    [
        "/", "/?date=2013-01-01", "/decisions", "/decisions/suspend-uzb-2012", "/chairs", "/operations", "/operations/Channel",
        "/log/membership", "/log/membership/1", "/trace?id=decisions%2Fsuspend-uzb-2012", "/health",
    ];

    public static readonly TheoryData<string> Pages = new(PagePaths);

    static readonly string[] Headers = ["Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "Cache-Control"];

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task An_anonymous_request_for_a_page_is_sent_to_the_login_with_its_address_and_no_data(string path)
    {
        using var client = console.Client();
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = new Uri(new Uri(console.Url), response.Headers.Location!);
        Assert.Equal("/login", location.AbsolutePath);
        Assert.Equal(path, QueryHelpers.ParseQuery(location.Query)["returnUrl"].ToString());
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        AssertSecurityHeaders(response, path);
    }

    [Fact]
    public async Task An_anonymous_browser_lands_on_the_login_form_with_the_command_that_issues_a_token()
    {
        var anonymous = await console.Browser.CreateBrowserContextAsync();
        try
        {
            await using var page = await anonymous.NewPageAsync();
            await page.GoToAsync(console.Url + "/decisions/suspend-uzb-2012", WaitUntilNavigation.Load);
            Assert.Equal("/login?returnUrl=%2Fdecisions%2Fsuspend-uzb-2012", new Uri(page.Url).PathAndQuery);
            Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#positions, header a').length"));
            Assert.DoesNotContain("UZB", await ConsoleFixture.TextAsync(page, "body"), StringComparison.Ordinal);
            Assert.Contains("cstoctl token issue --role reader", await ConsoleFixture.TextAsync(page, "#issue"), StringComparison.Ordinal);
            await ConsoleFixture.ScreenshotAsync(page, "login");

            // signing in goes on to the page that was asked for
            await page.EvaluateFunctionAsync("t => document.querySelector('#token').value = t", TestTokens.For(Roles.Reader));
            await Task.WhenAll(page.WaitForNavigationAsync(), page.ClickAsync("form.login button"));
            Assert.EndsWith("/decisions/suspend-uzb-2012", page.Url, StringComparison.Ordinal);
            Assert.Equal(6, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#positions tr[data-position=support]').length"));
        }
        finally
        {
            await anonymous.CloseAsync();
        }
    }

    public static readonly TheoryData<string, string> RefusedTokens = new()
    {
        { "forged", "the membership service refused this token: the bearer token is not signed with a key this service trusts" },
        { "development-key", "the membership service refused this token: the bearer token is not signed with a key this service trusts" },
        { "expired", "the membership service refused this token: the bearer token has expired" },
        { "wrong-audience", "the membership service refused this token: the bearer token is not for this audience" },
        { "not-a-jwt", "the membership service refused this token: the bearer token is not valid" },
        { "two-lines", "a token is one line of letters, digits and . - _ (a JWT); this one has U+000A" },
        { "empty", "no token: paste the one that cstoctl token issue --role reader prints" },
    };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task A_token_the_services_refuse_gives_the_form_again_with_the_reason_and_no_session(string kind, string message)
    {
        var now = DateTimeOffset.UtcNow;
        var token = kind switch
        {
            "forged" => TokenIssuer.Issue(new SigningSettings("a-key-nobody-configured-0123456789abcdef"), "forger", Roles.Operator, null, TimeSpan.FromHours(1)),
            "development-key" => TokenIssuer.Issue(new SigningSettings(SigningSettings.DevelopmentKey), "dev-operator", Roles.Operator, null, TimeSpan.FromHours(1)),
            "expired" => TokenIssuer.Issue(TestTokens.Signing, "late", Roles.Reader, null, TimeSpan.FromHours(1), now.AddHours(-2)),
            "wrong-audience" => TokenIssuer.Issue(TestTokens.Signing with { Audience = "someone-else" }, "lost", Roles.Reader, null, TimeSpan.FromHours(1)),
            "not-a-jwt" => "abc.def.ghi",
            "two-lines" => TestTokens.For(Roles.Reader).Insert(20, "\n"),
            _ => "",
        };
        var cookies = new CookieContainer();
        using var client = console.Client(cookies);
        using var response = await ConsoleFixture.SignInAsync(client, token, "/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        var error = Regex.Match(html, "<p class=\"bad\" id=\"login-error\">([^<]*)</p>");
        Assert.True(error.Success, "no error on the form");
        Assert.Equal(message, WebUtility.HtmlDecode(error.Groups[1].Value));
        if (token.Length > 0)
        {
            Assert.DoesNotContain(token, html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(cookies.GetCookies(new Uri(console.Url)), c => c.Name == ConsoleLogin.CookieName);
        using var after = await client.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task A_reader_sees_the_error_queue_depths_but_not_the_parked_messages_nor_why_they_failed()
    {
        var reason = await ParkAsync();
        try
        {
            await using var page = await OpenHealthUntilAsync(console.Reader, "/^csto\\.bodies_error: [1-9]/.test(document.querySelector('#health tr[data-service=bodies] td.error-queue').textContent.trim())");
            Assert.Equal($"signed in as {ConsoleFixture.ReaderSubject} (reader)", await ConsoleFixture.TextAsync(page, "#signed-in"));
            var queue = await ConsoleFixture.TextAsync(page, "#health tr[data-service=bodies] td.error-queue");
            Assert.Matches("^csto\\.bodies_error: [1-9][0-9]*$", queue);
            Assert.DoesNotContain(reason, await ConsoleFixture.TextAsync(page, "main"), StringComparison.Ordinal);
            Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('tr.parked').length"));
            Assert.Contains("shown to an operator", await ConsoleFixture.TextAsync(page, "#errors-note"), StringComparison.Ordinal);
        }
        finally
        {
            await PurgeAsync();
        }
    }

    [Fact]
    public async Task An_operator_sees_the_parked_messages_of_the_error_queues_with_their_reasons()
    {
        var reason = await ParkAsync();
        var operatorContext = await console.Browser.CreateBrowserContextAsync();
        try
        {
            await (await console.SignInAsync(operatorContext, TestTokens.For(Roles.Operator, subject: "test-operator"))).CloseAsync();
            await using var page = await OpenHealthUntilAsync(operatorContext, "document.querySelectorAll('#errors-bodies tr.parked').length > 0");
            Assert.Equal("signed in as test-operator (operator)", await ConsoleFixture.TextAsync(page, "#signed-in"));
            var reasons = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#errors-bodies tr.parked td.reason')].map(td => td.textContent)");
            Assert.True(reasons.Contains(reason), await ConsoleFixture.TextAsync(page, "main"));
            Assert.Contains(reason, await ConsoleFixture.TextAsync(page, "#health tr[data-service=bodies] td.error-queue"), StringComparison.Ordinal);
            Assert.Equal("", await ConsoleFixture.TextAsync(page, "#errors-note"));
            await ConsoleFixture.ScreenshotAsync(page, "health-operator-errors");
        }
        finally
        {
            await operatorContext.CloseAsync();
            await PurgeAsync();
        }
    }

    [Fact]
    public async Task Signing_out_sends_the_browser_to_the_login_and_the_old_cookie_opens_nothing()
    {
        var context = await console.Browser.CreateBrowserContextAsync();
        try
        {
            await using var page = await console.SignInAsync(context, TestTokens.For(Roles.Reader, subject: "leaving-reader"), "/login?returnUrl=%2Fhealth");
            Assert.EndsWith("/health", page.Url, StringComparison.Ordinal);
            var cookie = (await page.GetCookiesAsync()).Single(c => c.Name == ConsoleLogin.CookieName);
            Assert.True(cookie.HttpOnly);
            Assert.Equal(SameSite.Strict, cookie.SameSite);
            Assert.True(cookie.Session); // gone with the browser; the server ends it with the token

            await Task.WhenAll(page.WaitForNavigationAsync(), page.ClickAsync("form.user button"));
            Assert.Equal("/login?session=out", new Uri(page.Url).PathAndQuery);
            Assert.Equal("You are signed out.", await ConsoleFixture.TextAsync(page, "#notice"));
            await page.GoToAsync(console.Url + "/health", WaitUntilNavigation.Load);
            Assert.Equal("/login", new Uri(page.Url).AbsolutePath);

            // a copy of the cookie taken before signing out
            var cookies = new CookieContainer();
            cookies.Add(new Uri(console.Url), new Cookie(cookie.Name, cookie.Value));
            using var client = console.Client(cookies);
            using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/login?returnUrl=%2Fhealth&session=ended", new Uri(new Uri(console.Url), response.Headers.Location!).PathAndQuery);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_session_ends_when_its_token_expires_and_the_login_says_so()
    {
        var cookies = new CookieContainer();
        using var client = console.Client(cookies);
        using var signedIn = await ConsoleFixture.SignInAsync(client, TestTokens.For(Roles.Reader, ttl: TimeSpan.FromSeconds(3)), "/chairs");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/chairs", signedIn.Headers.Location!.OriginalString);
        using (var page = await client.GetAsync(new Uri("/chairs", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(4));
        using var late = await client.GetAsync(new Uri("/chairs", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, late.StatusCode);
        var location = new Uri(new Uri(console.Url), late.Headers.Location!);
        Assert.Equal("/login?returnUrl=%2Fchairs&session=ended", location.PathAndQuery);
        var login = await client.GetStringAsync(location);
        Assert.Contains("Your session has ended", login, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/health", "/health")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example/", "/")]
    public async Task After_signing_in_only_an_address_of_the_console_is_followed(string returnUrl, string followed)
    {
        using var client = console.Client();
        using var response = await ConsoleFixture.SignInAsync(client, TestTokens.For(Roles.Reader), returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(followed, response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Every_response_carries_the_security_headers_signed_in_or_not()
    {
        using var anonymous = console.Client();
        using (var login = await anonymous.GetAsync(new Uri("/login", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            AssertSecurityHeaders(login, "/login");
        }

        using var reader = console.Client();
        using (var signedIn = await ConsoleFixture.SignInAsync(reader, TestTokens.For(Roles.Reader)))
        {
            AssertSecurityHeaders(signedIn, "POST /login");
        }

        foreach (var path in PagePaths)
        {
            using var page = await reader.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            AssertSecurityHeaders(page, path);
        }

        // the stylesheet (the pages have no inline style or script) may be cached, and is open to all
        using var css = await anonymous.GetAsync(new Uri(SecurityHeaders.Stylesheet, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["nosniff"], css.Headers.GetValues("X-Content-Type-Options"));
        Assert.False(css.Headers.Contains("Cache-Control") && css.Headers.CacheControl!.NoStore);
    }

    [Fact]
    public async Task A_post_without_its_antiforgery_token_is_refused_with_400()
    {
        using var client = console.Client();
        using var login = await client.PostAsync(new Uri("/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = TestTokens.For(Roles.Operator) }));
        Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);

        using var signedIn = await ConsoleFixture.SignInAsync(client, TestTokens.For(Roles.Reader));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        using var logout = await client.PostAsync(new Uri("/logout", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
        using var still = await client.GetAsync(new Uri("/chairs", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);

        // with the token of the page's form it signs out
        var form = ConsoleFixture.AntiforgeryToken(await still.Content.ReadAsStringAsync());
        using var done = await client.PostAsync(new Uri("/logout", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = form }));
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal("/login?session=out", done.Headers.Location!.OriginalString);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_keys_that_encrypt_the_cookies_are_readable_by_the_console_s_user_only()
    {
        Assert.True(Directory.Exists(console.KeysFolder), console.KeysFolder);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(console.KeysFolder));
        var keys = Directory.GetFiles(console.KeysFolder, "*.xml");
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(k)));
    }

    static void AssertSecurityHeaders(HttpResponseMessage response, string what)
    {
        foreach (var name in Headers)
        {
            Assert.True(response.Headers.Contains(name), $"{what}: no {name}");
        }

        Assert.Equal([SecurityHeaders.ContentSecurityPolicy], response.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
        Assert.Equal(["no-referrer"], response.Headers.GetValues("Referrer-Policy"));
        Assert.Equal(["DENY"], response.Headers.GetValues("X-Frame-Options"));
        Assert.True(response.Headers.CacheControl!.NoStore, $"{what}: Cache-Control {response.Headers.CacheControl}");
    }

    /// <summary>
    /// /health, opened again until <paramref name="condition"/> holds (at most 20 s): a service lists its error queue by
    /// taking the messages and putting them back (ErrorQueue.PeekAsync), so a listing or a GetLogInfo that overlaps another
    /// one (the test's own, the page's three) may find the queue empty for a moment.
    /// </summary>
    async Task<IPage> OpenHealthUntilAsync(IBrowserContext context, string condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var page = await console.OpenAsync("/health", context: context);
            if (await page.EvaluateExpressionAsync<bool>(condition) || DateTime.UtcNow > deadline)
            {
                return page;
            }

            await page.CloseAsync();
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Publishes a message no service can apply to the exchange of membership's status changes: bodies and operations (which
    /// both keep a roster) park it; returns why bodies did.
    /// </summary>
    async Task<string> ParkAsync()
    {
        var consumers = new[] { console.Suite.Bodies, console.Suite.Operations }.Select(h => new EventLogService.EventLogServiceClient(h.ChannelFor(Roles.Operator))).ToList();
        var before = await Task.WhenAll(consumers.Select(async c => (await c.GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue.Depth));
        await using (var connection = await new ConnectionFactory { Uri = new Uri(console.Suite.BrokerUrl) }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            var exchange = WireHeaders.ExchangeFor(MemberStatusChanged.Descriptor.FullName);
            var properties = new BasicProperties
            {
                ContentType = WireHeaders.ContentType,
                Persistent = true,
                Headers = new Dictionary<string, object?> { [WireHeaders.EventId] = Encoding.UTF8.GetBytes(Guid.NewGuid().ToString()) },
            };
            await channel.BasicPublishAsync(exchange, "", mandatory: false, properties, new byte[] { 0x0F, 0xFF, 0xFF });
        }

        for (var i = 0; i < consumers.Count; i++)
        {
            var (client, depth) = (consumers[i], before[i]);
            await Eventually.UntilAsync(async () => (await client.GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue.Depth > depth, TimeSpan.FromSeconds(60), "the message parked in both error queues");
        }

        var reason = (await consumers[0].ListErrorsAsync(new ListErrorsRequest())).Messages[^1].Reason;
        Assert.False(string.IsNullOrEmpty(reason));
        return reason;
    }

    /// <summary>Empties the two error queues again, so that the other pages' tests see every service up.</summary>
    async Task PurgeAsync()
    {
        foreach (var (host, queue) in new[] { (console.Suite.Bodies, "csto.bodies_error"), (console.Suite.Operations, "csto.operations_error") })
        {
            await new EventLogService.EventLogServiceClient(host.ChannelFor(Roles.Operator)).PurgeErrorsAsync(new PurgeErrorsRequest { Queue = queue });
        }
    }
}

/// <summary>What the console refuses to start with.</summary>
public sealed class ConsoleSettingsTests
{
    [Theory]
    [InlineData("Console:Token")]
    [InlineData("Console:SigningKey")]
    public void A_token_or_key_of_the_console_s_own_stops_its_start_naming_the_setting(string setting)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [setting] = "anything" }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => SuiteOptions.From(config));
        Assert.StartsWith(setting + " is no longer read", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_token_or_key_the_console_starts_with_the_documented_addresses()
    {
        var options = SuiteOptions.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Console:BodiesUrl"] = "http://10.0.0.2:6102" }).Build());
        Assert.Equal("http://10.0.0.2:6102", options.Urls["bodies"]);
        Assert.Equal(TimeSpan.FromSeconds(5), options.CallTimeout);
    }
}
