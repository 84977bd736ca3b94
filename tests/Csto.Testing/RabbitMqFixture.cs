using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Testcontainers.RabbitMq;
using Xunit;

namespace Csto.Testing;

/// <summary>
/// A real RabbitMQ for tests, never a mock: <c>CSTO_RABBITMQ_URL</c> (with <c>CSTO_RABBITMQ_MGMT_URL</c>) when set;
/// else Testcontainers when a Docker engine answers; else a local <c>rabbitmq-server</c> started by
/// <c>deploy/rabbitmq.sh</c> on free ports with a temporary data folder, stopped afterwards, reached as the administrator
/// the script creates (<c>deploy/rabbitmq.sh url admin</c>: there is no guest).
/// Each test class takes its own virtual host (<see cref="NewVirtualHostUrlAsync"/>) so tests do not see each other's queues.
/// </summary>
public class RabbitMqFixture : IAsyncLifetime
{
    // the container's own credentials (the image's); a local broker's administrator comes from deploy/rabbitmq.sh url admin
    const string ContainerUser = "guest";
    const string ContainerPassword = "guest";
    RabbitMqContainer? _container;
    Dictionary<string, string>? _localEnv;
    string? _localDir;
    Uri _amqp = null!;
    Uri _management = null!;
    int _vhosts;

    /// <summary>A private broker is needed by tests that stop it (outages); a shared external one is never stopped.</summary>
    protected virtual bool AllowExternalBroker => true;

    /// <summary>False: always the broker <c>deploy/rabbitmq.sh</c> makes, even when a Docker engine answers.</summary>
    protected virtual bool AllowContainer => true;

    public string Kind { get; private set; } = "";

    public string AdminUrl => _amqp.ToString();

    /// <summary>The management API's base URL (http://host:port/).</summary>
    public Uri ManagementUrl => _management;

    /// <summary>A broker started by <c>deploy/rabbitmq.sh</c>: its AMQP, Erlang distribution, management and stream ports; else empty.</summary>
    public IReadOnlyList<int> LocalPorts { get; private set; } = [];

    /// <summary>A broker started by <c>deploy/rabbitmq.sh</c>: the suite user's amqp URL (<c>deploy/rabbitmq.sh url</c>); else null.</summary>
    public string? SuiteUrl { get; private set; }

    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("CSTO_RABBITMQ_URL");
        if (AllowExternalBroker && !string.IsNullOrEmpty(external))
        {
            _amqp = new Uri(external);
            _management = new Uri(Environment.GetEnvironmentVariable("CSTO_RABBITMQ_MGMT_URL") ?? $"http://{_amqp.Host}:15672/");
            Kind = "external " + _amqp.Host + ":" + _amqp.Port.ToString(CultureInfo.InvariantCulture);
            return;
        }

        if (AllowContainer && await DockerAnswersAsync().ConfigureAwait(false))
        {
            _container = new RabbitMqBuilder("rabbitmq:3-management").WithUsername(ContainerUser).WithPassword(ContainerPassword).WithPortBinding(15672, true).Build();
            await _container.StartAsync().ConfigureAwait(false);
            _amqp = new Uri(_container.GetConnectionString());
            _management = new Uri($"http://{_container.Hostname}:{_container.GetMappedPublicPort(15672)}/");
            Kind = "testcontainers";
            return;
        }

        await StartLocalAsync().ConfigureAwait(false);
    }

    async Task StartLocalAsync()
    {
        var ports = FreePorts(4);
        _localDir = Path.Combine(Path.GetTempPath(), "csto-rabbit-" + Guid.NewGuid().ToString("N")[..8]);
        _localEnv = new Dictionary<string, string>
        {
            ["CSTO_RABBITMQ_DIR"] = _localDir,
            ["CSTO_RABBITMQ_PORT"] = ports[0].ToString(CultureInfo.InvariantCulture),
            ["CSTO_RABBITMQ_DIST_PORT"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["CSTO_RABBITMQ_MGMT_PORT"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["CSTO_RABBITMQ_STREAM_PORT"] = ports[3].ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_NODENAME"] = $"csto-test-{ports[0]}@localhost",
        };
        await RunScriptAsync("start").ConfigureAwait(false);
        // the administrator the script made (management API, one virtual host per test class); no guest
        _amqp = new Uri((await RunScriptAsync("url", "admin").ConfigureAwait(false)).Trim());
        SuiteUrl = (await RunScriptAsync("url").ConfigureAwait(false)).Trim();
        _management = new Uri($"http://localhost:{ports[2]}/");
        LocalPorts = ports;
        Kind = "local rabbitmq-server on port " + ports[0].ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A fresh virtual host with full permissions for the admin user; returns its amqp URL.</summary>
    public async Task<string> NewVirtualHostUrlAsync()
    {
        var name = $"t{Environment.ProcessId}-{Interlocked.Increment(ref _vhosts)}-{Guid.NewGuid().ToString("N")[..6]}";
        using var http = ManagementClient();
        var userInfo = _amqp.UserInfo.Split(':');
        var user = Uri.UnescapeDataString(userInfo[0]);
        (await http.PutAsync($"api/vhosts/{name}", new StringContent("{}", Encoding.UTF8, "application/json")).ConfigureAwait(false)).EnsureSuccessStatusCode();
        (await http.PutAsync($"api/permissions/{name}/{Uri.EscapeDataString(user)}", new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json")).ConfigureAwait(false)).EnsureSuccessStatusCode();
        return new UriBuilder(_amqp) { Path = "/" + name }.Uri.ToString();
    }

    /// <summary>Another broker user with full rights on the virtual host of <paramref name="vhostUrl"/>; returns that user's amqp URL.</summary>
    public async Task<string> NewUserUrlAsync(string vhostUrl, string user)
    {
        var vhost = new Uri(vhostUrl).AbsolutePath.TrimStart('/');
        var password = Guid.NewGuid().ToString("N");
        using var http = ManagementClient();
        (await http.PutAsync($"api/users/{Uri.EscapeDataString(user)}", new StringContent($$"""{"password":"{{password}}","tags":""}""", Encoding.UTF8, "application/json")).ConfigureAwait(false)).EnsureSuccessStatusCode();
        (await http.PutAsync($"api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(user)}", new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json")).ConfigureAwait(false)).EnsureSuccessStatusCode();
        return new UriBuilder(vhostUrl) { UserName = user, Password = password }.Uri.ToString();
    }

    HttpClient ManagementClient()
    {
        var http = new HttpClient { BaseAddress = _management, Timeout = TimeSpan.FromSeconds(30) };
        var userInfo = _amqp.UserInfo.Split(':');
        var credentials = Uri.UnescapeDataString(userInfo[0]) + ":" + Uri.UnescapeDataString(userInfo.Length > 1 ? userInfo[1] : "");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return http;
    }

    /// <summary>Stops the broker's AMQP side (an outage): connections drop, durable queues keep their messages.</summary>
    public async Task StopBrokerAsync()
    {
        if (_localEnv is not null)
        {
            await RunScriptAsync("ctl", "stop_app").ConfigureAwait(false);
        }
        else if (_container is not null)
        {
            await _container.ExecAsync(["rabbitmqctl", "stop_app"]).ConfigureAwait(false);
        }
        else
        {
            throw new InvalidOperationException("an external broker is not stopped by tests; use PrivateRabbitMqFixture");
        }
    }

    public async Task StartBrokerAsync()
    {
        if (_localEnv is not null)
        {
            await RunScriptAsync("ctl", "start_app").ConfigureAwait(false);
        }
        else if (_container is not null)
        {
            await _container.ExecAsync(["rabbitmqctl", "start_app"]).ConfigureAwait(false);
        }
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync().ConfigureAwait(false);
        }

        if (_localEnv is not null)
        {
            await RunScriptAsync("stop").ConfigureAwait(false);
            try
            {
                Directory.Delete(_localDir!, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Runs deploy/rabbitmq.sh with this broker's settings; returns what it printed on stdout.</summary>
    async Task<string> RunScriptAsync(params string[] args)
    {
        var script = Path.Combine(RepoRoot.Path, "deploy", "rabbitmq.sh");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in _localEnv!)
        {
            psi.Environment[k] = v;
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/rabbitmq.sh {string.Join(' ', args)} failed ({process.ExitCode}):\n{await stdout.ConfigureAwait(false)}\n{await stderr.ConfigureAwait(false)}");
        }

        return await stdout.ConfigureAwait(false);
    }

    static async Task<bool> DockerAnswersAsync()
    {
        if (!File.Exists("/var/run/docker.sock") && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")))
        {
            return false;
        }

        try
        {
            var psi = new ProcessStartInfo("docker", "info") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(psi)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return process.ExitCode == 0;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            return false;
        }
    }

    static readonly HashSet<int> Issued = [];

    /// <summary>
    /// Ports on loopback that nothing listens on right now (free to take, or to stand for a service that does not answer),
    /// never one this process handed out before: fixtures start in parallel, and the system may offer a port again as soon
    /// as the listener that found it closes, before the broker given it binds it (two brokers then shared a node name).
    /// </summary>
    public static int[] FreePorts(int count)
    {
        lock (Issued)
        {
            var ports = new List<int>(count);
            while (ports.Count < count)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Issued.Add(port))
                {
                    ports.Add(port);
                }
            }

            return [.. ports];
        }
    }
}

/// <summary>A broker of the test class's own, which tests may stop and start (outages).</summary>
public sealed class PrivateRabbitMqFixture : RabbitMqFixture
{
    protected override bool AllowExternalBroker => false;
}

/// <summary>A broker of the test class's own, always the one <c>deploy/rabbitmq.sh</c> makes (never a container): for tests of what the script sets up.</summary>
public sealed class ScriptRabbitMqFixture : RabbitMqFixture
{
    protected override bool AllowExternalBroker => false;

    protected override bool AllowContainer => false;
}

public static class RepoRoot
{
    public static string Path { get; } = Find();

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "CstoServices.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("CstoServices.sln not found above " + AppContext.BaseDirectory);
    }
}
