using Csto.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Csto.Testing;

/// <summary>A service hosted in-process on real Kestrel (loopback, free port), on a real SQLite file and a real broker.</summary>
public sealed class ServiceHost : IAsyncDisposable
{
    readonly WebApplication _app;

    ServiceHost(WebApplication app, string address)
    {
        _app = app;
        Address = address;
        Anonymous = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        Channel = Anonymous.Intercept(ActAsRequiredInterceptor.Minting(TestTokens.Signing, "test-harness"));
    }

    public string Address { get; }

    /// <summary>
    /// TEST-ONLY convenience: each call carries a token minted for the role the access table requires and, for
    /// delegate and reporter acts, the state the request names (so tests of the other areas need no token code).
    /// Tests of the roles themselves use <see cref="ChannelFor"/>.
    /// </summary>
    public CallInvoker Channel { get; }

    /// <summary>No token: only health and reflection answer.</summary>
    public GrpcChannel Anonymous { get; }

    /// <summary>Every call carries one token for <paramref name="role"/> (and <paramref name="state"/>).</summary>
    public CallInvoker ChannelFor(string role, string? state = null) => Anonymous.WithToken(TestTokens.For(role, state));

    /// <summary>Every call carries <paramref name="token"/> as it is.</summary>
    public CallInvoker ChannelWith(string token) => Anonymous.WithToken(token);

    public IServiceProvider Services => _app.Services;

    public static async Task<ServiceHost> StartAsync(
        string serviceName,
        string rabbitUrl,
        string dataDir,
        Action<WebApplicationBuilder> configure,
        Action<WebApplication> map,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(map);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        var config = new Dictionary<string, string?>
        {
            ["Security:SigningKey"] = TestTokens.Signing.Key,
            ["EventLog:RabbitMqUrl"] = rabbitUrl,
            ["EventLog:DatabasePath"] = Path.Combine(dataDir, serviceName + ".db"),
            ["CSTO_DATA"] = dataDir,
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("CSTO_TEST_LOG"), out var level) ? level : LogLevel.Warning);
        configure(builder);
        // a host counts as started once its queue is bound: events published by hosts started after it reach it
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        var app = builder.Build();
        map(app);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ServiceHost(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        Anonymous.Dispose();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Tokens for tests, signed with the key every <see cref="ServiceHost"/> is configured with.</summary>
public static class TestTokens
{
    /// <summary>TEST ONLY: the signing key of the hosts the tests start.</summary>
    public static readonly SigningSettings Signing = new("csto-TEST-ONLY-signing-key-0123456789abcdef");

    public static string For(string role, string? state = null, TimeSpan? ttl = null, string subject = "test-user") =>
        TokenIssuer.Issue(Signing, subject, role, state, ttl ?? TimeSpan.FromHours(1));
}

public static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition().ConfigureAwait(false))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for: {what}");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }
}

/// <summary>A temporary folder for a test's SQLite files, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("csto-test-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
