using System.Diagnostics;
using System.Globalization;

namespace Csto.Benchmarks;

/// <summary>
/// Profiles of a service process while the benchmark measures it, only with <c>CSTO_BENCH_PROFILE=&lt;folder&gt;</c>:
/// <list type="bullet">
/// <item>an on-CPU profile (<c>perf record -g</c> of the process, Debian's <c>linux-perf</c>; the services then run
/// with <c>DOTNET_PerfMapEnabled=1</c> so that JIT-compiled methods have names) from <see cref="Start"/> until
/// <see cref="ReportAsync"/>, with its top functions by exclusive (self) and inclusive time written beside it and to
/// the log. Only the samples of threads on a CPU count, so waiting threads do not fill the report;</item>
/// <item>a heap dump (<c>dotnet-gcdump</c>, a NuGet tool: <c>dotnet tool install -g dotnet-gcdump</c>;
/// <see cref="HeapAsync"/>): the managed heap by type, the answer to "what is this process's private memory". It forces
/// a full collection, so it is taken after the resident set was read.</item>
/// </list>
/// </summary>
sealed class Profiler(Process process, string file)
{
    public static string? Folder => Environment.GetEnvironmentVariable("CSTO_BENCH_PROFILE") is { Length: > 0 } folder ? Path.GetFullPath(folder) : null;

    /// <summary>Starts recording <paramref name="host"/>'s CPU samples until <see cref="ReportAsync"/>.</summary>
    public static Profiler? Start(SuiteProcess host, string name)
    {
        if (Folder is not { } folder)
        {
            return null;
        }

        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, name.Replace(" ", "", StringComparison.Ordinal) + ".perf.data");
        var info = new ProcessStartInfo("perf")
        {
            ArgumentList = { "record", "-F", "999", "-g", "-p", host.Pid.ToString(CultureInfo.InvariantCulture), "-o", file },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(info)!;
        Thread.Sleep(300); // perf attaches to every thread of the process before it samples
        return new Profiler(process, file);
    }

    /// <summary>Stops the recording (SIGINT, as Ctrl+C would), then writes and logs its top functions.</summary>
    public async Task ReportAsync(TextWriter log)
    {
        using (var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync();
        }

        await process.WaitForExitAsync();
        process.Dispose();
        foreach (var inclusive in new[] { false, true })
        {
            var info = new ProcessStartInfo("perf")
            {
                ArgumentList = { "report", "-i", file, "--stdio", inclusive ? "--children" : "--no-children", "-g", "none", "--sort", inclusive ? "symbol" : "dso,symbol", "--percent-limit", "0.7" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var text = string.Join('\n', (await OutputAsync(info)).Split('\n')
                .Where(l => l.Length > 0 && !l.StartsWith('#'))
                .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"\s+-\s+-\s*$|\s{3,}", "  ").TrimEnd())
                .Take(45));
            await File.WriteAllTextAsync(file.Replace(".perf.data", inclusive ? ".inclusive.txt" : ".exclusive.txt", StringComparison.Ordinal), text);
            log.WriteLine($"    profile {Path.GetFileName(file)} ({(inclusive ? "inclusive" : "exclusive")}, % of the process's CPU samples):");
            log.WriteLine(text);
        }
    }

    /// <summary>A heap dump of <paramref name="host"/> and its report (the managed heap by type), written beside it and logged.</summary>
    public static async Task HeapAsync(SuiteProcess host, string name, TextWriter log)
    {
        if (Folder is not { } folder)
        {
            return;
        }

        Directory.CreateDirectory(folder);
        var map = MemoryMap(host.Pid) + "; " + await GcMetricsAsync(host);
        var file = Path.Combine(folder, name.Replace(" ", "", StringComparison.Ordinal) + ".gcdump");
        await OutputAsync(new ProcessStartInfo(Tool("dotnet-gcdump")) { ArgumentList = { "collect", "-p", host.Pid.ToString(CultureInfo.InvariantCulture), "-o", file }, RedirectStandardOutput = true });
        var report = await OutputAsync(new ProcessStartInfo(Tool("dotnet-gcdump")) { ArgumentList = { "report", file }, RedirectStandardOutput = true });
        await File.WriteAllTextAsync(Path.ChangeExtension(file, ".txt"), report);
        log.WriteLine($"    heap of {host.Service} ({name}), after the resident set was read: {host.MemoryParts()}; before the dump's full collection: {map}");
        log.WriteLine(string.Join('\n', report.Split('\n').Take(3)));
        // the report gives each type's object size and count: the types that hold the most, by size times count
        var types = report.Split('\n')
            .Select(l => l.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 3 && long.TryParse(f[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out _) && long.TryParse(f[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out _))
            .Select(f => (Bytes: long.Parse(f[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) * long.Parse(f[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture), Count: f[1], Type: f[2].Trim()))
            .OrderByDescending(t => t.Bytes)
            .Take(20);
        foreach (var (bytes, count, type) in types)
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {bytes / 1e6,8:0.0} MB  {count,9}  {type}"));
        }
    }

    /// <summary>
    /// The resident set by kind of mapping (/proc/pid/smaps): native heaps (glibc's brk heap and its 64 MB arenas:
    /// SQLite's page caches, the runtime's own allocations), thread stacks (8 MB mappings), other anonymous memory (the
    /// GC's committed regions, the JIT's code, the runtime's loader heaps), shared memory and mapped files.
    /// </summary>
    static string MemoryMap(int pid)
    {
        var kinds = new Dictionary<string, long>(StringComparer.Ordinal);
        string? kind = null;
        foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/smaps"))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[0].Contains('-', StringComparison.Ordinal) && !fields[0].EndsWith(':'))
            {
                var range = fields[0].Split('-');
                var kb = (Convert.ToInt64(range[1], 16) - Convert.ToInt64(range[0], 16)) / 1024;
                var path = fields.Length > 5 ? string.Join(' ', fields[5..]) : "";
                kind = path switch
                {
                    "[heap]" => "native heap",
                    "[stack]" => "stacks",
                    _ when path.StartsWith("/memfd:", StringComparison.Ordinal) || path.Contains("(deleted)", StringComparison.Ordinal) => "shared",
                    _ when path.StartsWith('/') => "files",
                    _ when path.StartsWith('[') => "other",
                    // glibc's arenas: 64 MB blocks aligned to 64 MB, their header first
                    _ when Convert.ToInt64(range[0], 16) % (64L << 20) == 0 && kb <= 64 * 1024 => "native heap",
                    _ when kb is >= 8 * 1024 and <= 8 * 1024 + 8 => "stacks",
                    _ => "anonymous (GC heap, JIT code, runtime)",
                };
            }
            else if (kind is not null && fields.Length >= 2 && fields[0] == "Rss:")
            {
                kinds[kind] = kinds.GetValueOrDefault(kind) + long.Parse(fields[1], CultureInfo.InvariantCulture);
            }
        }

        return string.Join(", ", kinds.OrderByDescending(k => k.Value).Select(k => $"{k.Key} {k.Value / 1024} MB"));
    }

    /// <summary>The runtime's own GC figures from the service's /metrics (System.Runtime meter): committed and live after the last collection.</summary>
    static async Task<string> GcMetricsAsync(SuiteProcess host)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(host.Address + "/metrics");
        var wanted = new[] { "dotnet_gc_last_collection_memory_committed_size_bytes", "dotnet_gc_last_collection_heap_size_bytes", "dotnet_gc_last_collection_heap_fragmentation_size_bytes", "dotnet_jit_compiled_il_size_bytes" };
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var metric = wanted.FirstOrDefault(w => line.StartsWith(w, StringComparison.Ordinal) && (line.Length == w.Length || line[w.Length] is '{' or ' '));
            if (metric is not null && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sums[metric] = sums.GetValueOrDefault(metric) + value;
            }
        }

        return "GC " + string.Join(", ", sums.Select(s => $"{s.Key.Replace("dotnet_gc_last_collection_", "", StringComparison.Ordinal).Replace("_bytes", "", StringComparison.Ordinal)} {s.Value / (1 << 20):0} MB"));
    }

    /// <summary>The service's garbage collections by generation and their total pause (System.Runtime meter, /metrics), to subtract two readings.</summary>
    public static async Task<(long Gen0, long Gen1, long Gen2, double PauseSeconds)> CollectionsAsync(SuiteProcess host)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(host.Address + "/metrics");
        long gen0 = 0, gen1 = 0, gen2 = 0;
        double pause = 0;
        foreach (var line in text.Split('\n'))
        {
            var value = line[(line.LastIndexOf(' ') + 1)..];
            if (line.StartsWith("dotnet_gc_collections_total{", StringComparison.Ordinal) && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            {
                if (line.Contains("gen0", StringComparison.Ordinal))
                {
                    gen0 += n;
                }
                else if (line.Contains("gen1", StringComparison.Ordinal))
                {
                    gen1 += n;
                }
                else if (line.Contains("gen2", StringComparison.Ordinal))
                {
                    gen2 += n;
                }
            }
            else if (line.StartsWith("dotnet_gc_pause_time_seconds_total", StringComparison.Ordinal) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s))
            {
                pause += s;
            }
        }

        return (gen0, gen1, gen2, pause);
    }

    static async Task<string> OutputAsync(ProcessStartInfo info)
    {
        using var run = Process.Start(info)!;
        var error = info.RedirectStandardError ? run.StandardError.ReadToEndAsync() : Task.FromResult("");
        var text = await run.StandardOutput.ReadToEndAsync();
        await error;
        await run.WaitForExitAsync();
        return text;
    }

    static string Tool(string name)
    {
        var installed = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", name);
        return File.Exists(installed) ? installed : name;
    }
}
