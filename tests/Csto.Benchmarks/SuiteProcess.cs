using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Csto.EventLog.V1;
using Csto.Security;
using Csto.Testing;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Csto.Benchmarks;

/// <summary>
/// One service of the suite as it is deployed: its own process (<c>dotnet services/X/bin/Release/net10.0/X.dll</c>, as
/// deploy/up.sh starts it), its own SQLite file, a real broker, tokens verified on every call. The benchmark talks to it
/// over loopback gRPC only; its memory is the process's resident set (/proc/PID/status).
/// </summary>
sealed class SuiteProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StreamWriter _output;

    SuiteProcess(string service, Process process, StreamWriter output, string address)
    {
        Service = service;
        _process = process;
        _output = output;
        Address = address;
        Channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
    }

    public string Service { get; }

    public string Address { get; }

    public GrpcChannel Channel { get; }

    public int Pid => _process.Id;

    static readonly Dictionary<string, string> Projects = new(StringComparer.Ordinal)
    {
        ["membership"] = "Csto.Membership",
        ["bodies"] = "Csto.Bodies",
        ["operations"] = "Csto.Operations",
    };

    /// <summary>The repository root (the folder with CstoServices.sln), from this program's folder up.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CstoServices.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("CstoServices.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string DllOf(string service)
    {
        var project = Projects[service];
        var dll = Path.Combine(Root, "services", project, "bin", "Release", "net10.0", project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build the services in Release first (deploy/bench.sh does)", dll);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the service on a free port and waits until it answers an authenticated GetLogInfo.</summary>
    public static async Task<SuiteProcess> StartAsync(string service, string rabbitUrl, string dataDir, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var address = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { DllOf(service), "--urls", address },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        info.Environment["Security__SigningKey"] = TestTokens.Signing.Key;
        info.Environment["EventLog__RabbitMqUrl"] = rabbitUrl;
        info.Environment["EventLog__DatabasePath"] = Path.Combine(dataDir, service + ".db");
        info.Environment["CSTO_DATA"] = dataDir;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        // the GC is the service's own (its runtimeconfig.json: server GC, as deploy/up.sh runs it); the benchmark's
        // environment passes through, so `DOTNET_gcServer=0 deploy/bench.sh` measures workstation GC
        if (Profiler.Folder is not null)
        {
            // names for JIT-compiled code in perf's profiles (Profiler)
            info.Environment["DOTNET_PerfMapEnabled"] = "1";
            info.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        }
        foreach (var (k, v) in settings ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + service);
        var output = new StreamWriter(Path.Combine(dataDir, service + ".log"), append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { lock (output) { output.WriteLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.WriteLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = new SuiteProcess(service, process, output, address);
        await started.WaitReadyAsync(TimeSpan.FromMinutes(10));
        return started;
    }

    async Task WaitReadyAsync(TimeSpan timeout)
    {
        var log = new EventLogService.EventLogServiceClient(Invoker(Roles.Operator));
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Service} exited with {_process.ExitCode}; its output is in {Service}.log");
            }

            try
            {
                var health = await new Health.HealthClient(Channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                if (health.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    await log.GetLogInfoAsync(new GetLogInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                    return;
                }
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Service} did not become ready in {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Every call carries one real token for <paramref name="role"/> (and <paramref name="state"/>), verified by the service.</summary>
    public CallInvoker Invoker(string role, string? state = null) => Channel.WithToken(TestTokens.For(role, state, TimeSpan.FromHours(4), subject: "bench"));

    /// <summary>Every call carries a token minted for the role its method requires (and the state its request names): set-up only.</summary>
    public CallInvoker Minting() => Channel.Intercept(ActAsRequiredInterceptor.Minting(TestTokens.Signing, "bench-setup", TimeSpan.FromHours(4)));

    /// <summary>Resident set of the process, MB (VmRSS), and its peak (VmHWM).</summary>
    public (double Rss, double Peak) MemoryMb()
    {
        double rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kb(line) / 1024.0;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kb(line) / 1024.0;
            }
        }

        return (rss, peak);

        static long Kb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// What the resident set is made of (/proc status): private memory (RssAnon: the GC heap, caches, buffers), pages of
    /// mapped files (RssFile: the runtime's and the assemblies' images, shared with every other .NET process of the
    /// machine) and shared memory (RssShmem: the JIT's code, which W^X keeps in shared memory mapped writable and executable
    /// at two addresses but counted once: with DOTNET_EnableWriteXorExecute=0 the same ~40 MB is private instead; and SQLite's
    /// -shm index).
    /// </summary>
    public string MemoryParts()
    {
        var parts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            var name = line.Split(':')[0];
            if (name is "RssAnon" or "RssFile" or "RssShmem")
            {
                parts[name] = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
            }
        }

        return $"private {parts.GetValueOrDefault("RssAnon")} + files {parts.GetValueOrDefault("RssFile")} + shared {parts.GetValueOrDefault("RssShmem")} MB";
    }

    public TimeSpan Cpu()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        if (!_process.HasExited)
        {
            // SIGTERM: the host stops gracefully (relay and consumers stop, the store closes)
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        lock (_output)
        {
            _output.Dispose();
        }
    }
}
