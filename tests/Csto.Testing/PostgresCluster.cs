using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Csto.Testing;

/// <summary>
/// A PostgreSQL of a test's own (deploy/postgres.sh on a temporary folder and a free port), for tests that stop and
/// start the server: the run's shared instance stays up for the other tests.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    readonly TempDir _dir = new();
    readonly Dictionary<string, string> _env;

    PostgresCluster(int port)
    {
        // the server runs as the user postgres, which must reach its folder
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_101_101);
        }

        _env = new() { ["CSTO_POSTGRES_DIR"] = Path.Combine(_dir.Path, "pg"), ["CSTO_POSTGRES_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }

    public string ConnectionString { get; private set; } = "";

    public static async Task<PostgresCluster> StartAsync()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var cluster = new PostgresCluster(port);
        cluster.ConnectionString = (await cluster.ScriptAsync("start").ConfigureAwait(false)).Trim();
        return cluster;
    }

    public Task StopServerAsync() => ScriptAsync("stop");

    public Task StartServerAsync() => ScriptAsync("start");

    async Task<string> ScriptAsync(string verb)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(RepoRoot(), "deploy", "postgres.sh"), verb]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in _env)
        {
            info.Environment[k] = v;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        return process.ExitCode == 0 ? await output.ConfigureAwait(false) : throw new InvalidOperationException($"deploy/postgres.sh {verb} failed: {await errors.ConfigureAwait(false)}");
    }

    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "deploy", "postgres.sh")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("deploy/postgres.sh not found above " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        await ScriptAsync("stop").ConfigureAwait(false);
        _dir.Dispose();
    }
}
