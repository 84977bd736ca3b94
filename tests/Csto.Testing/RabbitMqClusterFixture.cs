using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Csto.Testing;

/// <summary>
/// A real three-node RabbitMQ cluster for tests (<c>deploy/rabbitmq.sh cluster</c>), which tests may fail node by node:
/// the one <c>deploy/test.sh</c> started (<c>CSTO_RABBITMQ_CLUSTER_URLS</c>, <c>CSTO_RABBITMQ_CLUSTER_MGMT_URLS</c> and the
/// script's <c>CSTO_RABBITMQ_CLUSTER_*</c> settings, so that <c>cluster kill</c> and <c>cluster start</c> reach it), else
/// one of its own on free ports and a temporary folder, stopped afterwards. Either way it is reached as the administrator the
/// script creates (<c>deploy/rabbitmq.sh cluster url admin</c>: there is no guest). Each test takes its own virtual host.
/// </summary>
public sealed class RabbitMqClusterFixture : IAsyncLifetime
{
    readonly Dictionary<string, string> _env = new(StringComparer.Ordinal);
    string? _ownDir;
    IReadOnlyList<Uri> _amqp = [];
    IReadOnlyList<Uri> _management = [];
    int _vhosts;

    public string Kind { get; private set; } = "";

    /// <summary>The three nodes' amqp URLs as the administrator.</summary>
    public IReadOnlyList<Uri> AdminUrls => _amqp;

    /// <summary>The three nodes' management API base URLs.</summary>
    public IReadOnlyList<Uri> ManagementUrls => _management;

    /// <summary>The TCP ports the nodes listen on that this fixture knows: AMQP and management always; with a cluster of its own also
    /// the Erlang distribution and stream ports.</summary>
    public IReadOnlyList<int> ListenerPorts { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var urls = Environment.GetEnvironmentVariable("CSTO_RABBITMQ_CLUSTER_URLS");
        if (!string.IsNullOrEmpty(urls))
        {
            _amqp = [.. urls.Split(',').Select(u => new Uri(u))];
            _management = [.. (Environment.GetEnvironmentVariable("CSTO_RABBITMQ_CLUSTER_MGMT_URLS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u))];
            Kind = "external cluster " + urls.Split(',').Length.ToString(CultureInfo.InvariantCulture) + " nodes";
            ListenerPorts = [.. _amqp.Concat(_management).Select(u => u.Port)];
            // deploy/test.sh's cluster (its settings exported for "cluster kill" and "cluster start"): distribution and stream
            // ports too, where they follow the script's defaults (AMQP + 20000, AMQP - 120)
            if (int.TryParse(Environment.GetEnvironmentVariable("CSTO_RABBITMQ_CLUSTER_PORT"), NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                && _amqp.Count == 3 && Enumerable.Range(0, 3).All(i => _amqp[i].Port == first + i)
                && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CSTO_RABBITMQ_CLUSTER_DIST_PORT"))
                && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CSTO_RABBITMQ_CLUSTER_STREAM_PORT")))
            {
                ListenerPorts = [.. ListenerPorts, .. Enumerable.Range(0, 3).SelectMany(i => new[] { first + 20000 + i, first - 120 + i })];
            }

            return;
        }

        var port = FreeBlock();
        _ownDir = Path.Combine(Path.GetTempPath(), "csto-rabbit-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        _env["CSTO_RABBITMQ_CLUSTER_DIR"] = _ownDir;
        _env["CSTO_RABBITMQ_CLUSTER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        _env["CSTO_RABBITMQ_CLUSTER_NODE"] = "csto-ctest-" + port.ToString(CultureInfo.InvariantCulture);
        await ScriptAsync("start").ConfigureAwait(false);
        // the administrator the script made (users are cluster-wide): one virtual host per test
        _amqp = [.. (await ScriptAsync("url", "admin").ConfigureAwait(false)).Trim().Split(',').Select(u => new Uri(u))];
        _management = [.. Enumerable.Range(0, 3).Select(i => new Uri($"http://localhost:{port + 10000 + i}/"))];
        ListenerPorts = [.. Enumerable.Range(0, 3).SelectMany(i => new[] { port + i, port + 10000 + i, port + 20000 + i, port - 120 + i })];
        Kind = "own cluster on ports " + port.ToString(CultureInfo.InvariantCulture) + "-" + (port + 2).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A fresh virtual host with full rights for the admin user; returns the three nodes' amqp URLs, comma-separated (the EventLog:RabbitMqUrl of a cluster).</summary>
    public async Task<string> NewVirtualHostUrlsAsync()
    {
        var name = $"c{Environment.ProcessId}-{Interlocked.Increment(ref _vhosts)}-{Guid.NewGuid().ToString("N")[..6]}";
        var user = Uri.UnescapeDataString(_amqp[0].UserInfo.Split(':')[0]);
        await ManagementAsync(HttpMethod.Put, $"api/vhosts/{name}", "{}").ConfigureAwait(false);
        await ManagementAsync(HttpMethod.Put, $"api/permissions/{name}/{Uri.EscapeDataString(user)}", """{"configure":".*","write":".*","read":".*"}""").ConfigureAwait(false);
        return string.Join(',', _amqp.Select(u => new UriBuilder(u) { Path = "/" + name }.Uri.ToString()));
    }

    /// <summary>A queue as the management API describes it (type, durable, leader, members, online, messages), through any node that answers.</summary>
    public async Task<JsonElement> QueueAsync(string vhostUrls, string queue)
    {
        var vhost = new Uri(vhostUrls.Split(',')[0]).AbsolutePath.TrimStart('/');
        using var doc = JsonDocument.Parse(await ManagementAsync(HttpMethod.Get, $"api/queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}").ConfigureAwait(false));
        return doc.RootElement.Clone();
    }

    /// <summary>The names of the cluster's nodes that are up, as the management API sees them.</summary>
    public async Task<IReadOnlyList<string>> RunningNodesAsync()
    {
        using var doc = JsonDocument.Parse(await ManagementAsync(HttpMethod.Get, "api/nodes").ConfigureAwait(false));
        return [.. doc.RootElement.EnumerateArray().Where(n => n.GetProperty("running").GetBoolean()).Select(n => n.GetProperty("name").GetString()!)];
    }

    /// <summary>Node 1, 2 or 3 as its Erlang node name (the management API's "leader" and "members").</summary>
    public int NodeNumber(string nodeName) => int.Parse(nodeName.Split('@')[0].Split('-')[^1], CultureInfo.InvariantCulture);

    /// <summary>kill -9 of one node's beam process: a hard failure, its connections drop without a close.</summary>
    public Task KillNodeAsync(int node) => ScriptAsync("kill", node.ToString(CultureInfo.InvariantCulture));

    /// <summary>Brings every node that is down back into the cluster (<c>deploy/rabbitmq.sh cluster start</c>).</summary>
    public Task StartAsync() => ScriptAsync("start");

    public async Task DisposeAsync()
    {
        if (_ownDir is not null)
        {
            await ScriptAsync("stop").ConfigureAwait(false);
            try
            {
                Directory.Delete(_ownDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Asks the nodes' management APIs in turn (one may be the node a test killed); throws the last failure.</summary>
    async Task<string> ManagementAsync(HttpMethod method, string path, string? body = null)
    {
        var userInfo = _amqp[0].UserInfo.Split(':');
        var credentials = Uri.UnescapeDataString(userInfo[0]) + ":" + Uri.UnescapeDataString(userInfo.Length > 1 ? userInfo[1] : "");
        Exception? last = null;
        foreach (var management in _management)
        {
            try
            {
                using var http = new HttpClient { BaseAddress = management, Timeout = TimeSpan.FromSeconds(15) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
                using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
                using var response = await http.SendAsync(request).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
                return await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex;
            }
        }

        throw new InvalidOperationException($"no management API of the cluster answered {method} {path}", last);
    }

    /// <summary>Runs deploy/rabbitmq.sh cluster with this cluster's settings; returns what it printed on stdout.</summary>
    async Task<string> ScriptAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(RepoRoot.Path, "deploy", "rabbitmq.sh"));
        psi.ArgumentList.Add("cluster");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in _env)
        {
            psi.Environment[k] = v;
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/rabbitmq.sh cluster {string.Join(' ', args)} failed ({process.ExitCode}):\n{await stdout.ConfigureAwait(false)}\n{await stderr.ConfigureAwait(false)}");
        }

        return await stdout.ConfigureAwait(false);
    }

    /// <summary>A base port whose three AMQP, management (+10000), distribution (+20000) and stream (-120) ports are all free.</summary>
    static int FreeBlock()
    {
        for (var port = 6100 + Random.Shared.Next(0, 300) * 3; port < 9000; port += 3)
        {
            if (Enumerable.Range(0, 3).SelectMany(i => new[] { port + i, port + 10000 + i, port + 20000 + i, port - 120 + i }).All(Free))
            {
                return port;
            }
        }

        throw new InvalidOperationException("no free block of ports for a three-node cluster");
    }

    static bool Free(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
