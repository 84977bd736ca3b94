using System.Diagnostics;
using System.Globalization;
using Csto.Common.V1;
using Csto.EventLog.V1;
using Csto.Kernel;
using Csto.Membership;
using Csto.Membership.V1;
using Csto.Security;
using Csto.Testing;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;

namespace Csto.Benchmarks;

/// <summary>
/// <c>--only instances</c>: durable commands/s through gRPC into the membership service on PostgreSQL, with one instance
/// and with two instances on the same database reached through <see cref="Channels.For"/> (client-side round robin).
/// 64 callers, each owning one non-member state and alternating GrantObserverStatus / EndObserverStatus on it with a
/// later date each round (as the fault suite's burst does), one real secretariat token verified by the server on every
/// call. Ceiling in the same run: an authenticated read at the same concurrency against one instance: GetMemberState of
/// a state with one record (authentication, gRPC, one read of a one-event stream). GetLogInfo, which the brief named as the
/// trivial call, is measured too but is not trivial: a query of the consumers and a round trip to the broker for the error
/// queue's depth on every call. Each run
/// uses a fresh schema csto_membership (dropped afterwards; refused if it exists) and fresh hosts; only the call loop is timed. Also measured per run: the
/// CPU time of this process (hosts + callers, one process) and of the PostgreSQL server's processes, and the mean
/// number of appends per group commit (rows sharing one recorded_at: a writer stamps its whole batch once).
/// </summary>
static class InstancesBench
{
    const int Callers = 64;
    const string Schema = "csto_" + MembershipHost.ServiceName;

    /// <summary>Non-member states, one per caller (the membership service refuses observer status for a party).</summary>
    static readonly string[] Entities = [.. StateCodes.Codes.Order(StringComparer.Ordinal)
        .Where(c => c is not ("ARM" or "AZE" or "BLR" or "GEO" or "KAZ" or "KGZ" or "RUS" or "TJK" or "UZB")).Take(Callers)];

    enum Call
    {
        Command,
        MemberState,
        LogInfo,
    }

    sealed record Result(double Rate, double P50Ms, double P99Ms, double CpuCores, double PgCores, double PerCommit, long Calls);

    public static async Task RunAsync(Config cfg, List<Row> table, TextWriter log)
    {
        log.WriteLine($"6. durable commands/s through gRPC, membership on PostgreSQL, {Callers} callers, {cfg.InstanceSeconds:0.#} s per run");
        PostgresCluster? own = null;
        var connection = Environment.GetEnvironmentVariable(TestPostgres.Variable);
        if (string.IsNullOrEmpty(connection))
        {
            log.WriteLine("  starting a private PostgreSQL (deploy/postgres.sh)");
            own = await PostgresCluster.StartAsync();
            connection = own.ConnectionString;
        }

        await using var broker = new RabbitMqFixture();
        await broker.InitializeAsync();
        try
        {
            log.WriteLine($"  broker: {broker.Kind}");
            // what one commit costs on this server right now: one INSERT per transaction, back to back, one connection
            var perRow = await Machine.MedianOfAsync(cfg, log, "raw Npgsql INSERT, one transaction per row", () => PostgresBench.RawAsync(connection, 300, copy: false));
            var logInfo = await MedianAsync(cfg, log, "GetLogInfo, 1 instance", () => RunOnceAsync(broker, connection, cfg.InstanceSeconds, instances: 1, Call.LogInfo, log));
            var ceiling = await MedianAsync(cfg, log, "GetMemberState, 1 instance (ceiling)", () => RunOnceAsync(broker, connection, cfg.InstanceSeconds, instances: 1, Call.MemberState, log));
            var one = await MedianAsync(cfg, log, "Grant/EndObserverStatus, 1 instance", () => RunOnceAsync(broker, connection, cfg.InstanceSeconds, instances: 1, Call.Command, log));
            var two = await MedianAsync(cfg, log, "Grant/EndObserverStatus, 2 instances (round robin)", () => RunOnceAsync(broker, connection, cfg.InstanceSeconds, instances: 2, Call.Command, log));
            table.Add(new Row($"commands/s, 1 instance, {Callers} callers (PostgreSQL)", Machine.Rate(one.Rate) + Latency(one), "GetMemberState, 1 instance " + Machine.Rate(ceiling.Rate) + Latency(ceiling), Machine.Pct(one.Rate / ceiling.Rate) + " of ceiling", "-", "-"));
            table.Add(new Row($"commands/s, 2 instances, round robin", Machine.Rate(two.Rate) + Latency(two), "same", Machine.Pct(two.Rate / ceiling.Rate) + " of ceiling", "-", "-"));
            table.Add(new Row("  two / one", "", "", (two.Rate / one.Rate).ToString("0.00", CultureInfo.InvariantCulture) + "x", "-", "-"));
            table.Add(new Row("  one commit on this server (raw Npgsql tx/row)", Machine.Rate(perRow), "", string.Create(CultureInfo.InvariantCulture, $"{1000 / perRow:0.0} ms each"), "", ""));
            table.Add(new Row("  (GetLogInfo, 1 instance: not trivial)", Machine.Rate(logInfo.Rate) + Latency(logInfo), "", "", "", ""));
            foreach (var (name, r) in new[] { ("GetMemberState", ceiling), ("1 instance", one), ("2 instances", two), ("GetLogInfo", logInfo) })
            {
                table.Add(new Row($"  where the time goes, {name}", $"{r.CpuCores:0.00} cores (hosts+callers)", $"PostgreSQL {r.PgCores:0.00} cores", r.PerCommit > 0 ? string.Create(CultureInfo.InvariantCulture, $"{r.PerCommit:0.0} appends/commit, {r.Rate / r.PerCommit:0.0} commits/s ({1000 * r.PerCommit / r.Rate:0} ms each)") : "", "", ""));
            }
        }
        finally
        {
            await broker.DisposeAsync();
            if (own is not null)
            {
                await own.DisposeAsync();
            }
        }
    }

    static string Latency(Result r) => string.Create(CultureInfo.InvariantCulture, $" (p50 {r.P50Ms:0.0} ms, p99 {r.P99Ms:0.0} ms)");

    /// <summary>One warm-up run, then the repeats; each figure is the median over the runs (not necessarily the same run).</summary>
    static async Task<Result> MedianAsync(Config cfg, TextWriter log, string name, Func<Task<Result>> run)
    {
        await run();
        var results = new List<Result>();
        for (var i = 0; i < cfg.Repeats; i++)
        {
            var r = await run();
            results.Add(r);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {name} run {i + 1}: {r.Calls:#,0} calls, {r.Rate:#,0}/s, p50 {r.P50Ms:0.0} ms, p99 {r.P99Ms:0.0} ms, cpu {r.CpuCores:0.00} cores here + {r.PgCores:0.00} PostgreSQL, {r.PerCommit:0.0} appends/commit ({Machine.Uptime()})"));
        }

        var median = new Result(
            Machine.Median(results.Select(r => r.Rate)), Machine.Median(results.Select(r => r.P50Ms)), Machine.Median(results.Select(r => r.P99Ms)),
            Machine.Median(results.Select(r => r.CpuCores)), Machine.Median(results.Select(r => r.PgCores)), Machine.Median(results.Select(r => r.PerCommit)),
            (long)Machine.Median(results.Select(r => (double)r.Calls)));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: median {median.Rate:#,0}/s, p50 {median.P50Ms:0.0} ms, p99 {median.P99Ms:0.0} ms"));
        return median;
    }

    static async Task<Result> RunOnceAsync(RabbitMqFixture broker, string connection, double seconds, int instances, Call call, TextWriter log)
    {
        // the service's schema (csto_membership) is the log: it must be fresh, and it is dropped afterwards
        await using (var db = new NpgsqlConnection(connection))
        {
            await db.OpenAsync();
            await using var exists = new NpgsqlCommand($"SELECT count(*) FROM pg_namespace WHERE nspname = '{Schema}'", db);
            if ((long)(await exists.ExecuteScalarAsync())! != 0)
            {
                throw new InvalidOperationException($"schema {Schema} already exists on {TestPostgres.Variable}'s server: the benchmark would write into another log (unset the variable to use a private server)");
            }
        }

        var dbConnection = connection;
        using var dir = new TempDir();
        var hosts = new List<ServiceHost>();
        try
        {
            var url = await broker.NewVirtualHostUrlAsync();
            var settings = new Dictionary<string, string?> { ["EventLog:Store"] = "postgres", ["ConnectionStrings:EventLog"] = dbConnection };
            for (var i = 0; i < instances; i++)
            {
                var data = Path.Combine(dir.Path, "i" + i.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(data);
                hosts.Add(await ServiceHost.StartAsync(MembershipHost.ServiceName, url, data, MembershipHost.Configure, MembershipHost.Map, settings));
            }

            using var channel = Channels.For(string.Join(',', hosts.Select(h => h.Address)));
            var invoker = channel.WithToken(TestTokens.For(Roles.Secretariat, subject: "bench"));
            var membership = new MembershipService.MembershipServiceClient(invoker);
            var eventLog = new EventLogService.EventLogServiceClient(invoker);
            // every caller's first call (and the channel's connections) before timing
            await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => eventLog.GetLogInfoAsync(new GetLogInfoRequest()).ResponseAsync));
            if (call == Call.MemberState)
            {
                // one record per state, so that the read finds something
                await Task.WhenAll(Entities.Select(state => membership.GrantObserverStatusAsync(new GrantObserverStatusRequest
                {
                    State = state, EffectiveDate = Date.From(new DateOnly(2030, 1, 1)), Cause = new Cause { Notice = "benchmark" }, RequestId = "bench-seed-" + state,
                }).ResponseAsync));
            }


            var postgres = await PostgresProcesses.FindAsync(dbConnection);
            var pgCpu = postgres.CpuTime();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var latencies = new List<long>[Callers];
            var sw = Stopwatch.StartNew();
            var deadline = TimeSpan.FromSeconds(seconds);
            await Task.WhenAll(Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
            {
                var mine = latencies[c] = new List<long>(4096);
                var state = Entities[c];
                var cause = new Cause { Notice = "benchmark" };
                for (var round = 0; sw.Elapsed < deadline; round++)
                {
                    var start = Stopwatch.GetTimestamp();
                    if (call == Call.LogInfo)
                    {
                        await eventLog.GetLogInfoAsync(new GetLogInfoRequest());
                    }
                    else if (call == Call.MemberState)
                    {
                        await membership.GetMemberStateAsync(new GetMemberStateRequest { State = state });
                    }
                    else
                    {
                        var date = Date.From(new DateOnly(2031, 1, 1).AddDays(round));
                        var requestId = $"bench-{state}-{round}";
                        if (round % 2 == 0)
                        {
                            await membership.GrantObserverStatusAsync(new GrantObserverStatusRequest { State = state, EffectiveDate = date, Cause = cause, RequestId = requestId });
                        }
                        else
                        {
                            await membership.EndObserverStatusAsync(new EndObserverStatusRequest { State = state, EffectiveDate = date, Cause = cause, RequestId = requestId });
                        }
                    }

                    mine.Add(Stopwatch.GetTimestamp() - start);
                }
            })));
            var elapsed = sw.Elapsed;
            var cores = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / elapsed.TotalSeconds;
            var pgCores = (postgres.CpuTime() - pgCpu).TotalSeconds / elapsed.TotalSeconds;
            var all = latencies.SelectMany(l => l).Order().ToArray();
            double Ms(double q) => all[Math.Min(all.Length - 1, (int)(q * all.Length))] * 1000.0 / Stopwatch.Frequency;
            var perCommit = 0.0;
            if (call == Call.Command)
            {
                await using var db = new NpgsqlConnection(dbConnection);
                await db.OpenAsync();
                await using var cmd = new NpgsqlCommand($"SELECT count(*)::float8 / greatest(count(DISTINCT recorded_at), 1) FROM {Schema}.events", db);
                perCommit = (double)(await cmd.ExecuteScalarAsync())!;
                // every acknowledged command is in the log: one event per call
                await using var count = new NpgsqlCommand($"SELECT count(*) FROM {Schema}.events", db);
                var rows = (long)(await count.ExecuteScalarAsync())!;
                if (rows < all.Length)
                {
                    throw new InvalidOperationException($"{all.Length} commands acknowledged but the log holds {rows} events");
                }
            }

            return new Result(all.Length / elapsed.TotalSeconds, Ms(0.50), Ms(0.99), cores, pgCores, perCommit, all.Length);
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }

            NpgsqlConnection.ClearAllPools();
            await TestPostgres.DropAsync(MembershipHost.ServiceName, connection);
        }
    }

    /// <summary>The CPU time of a PostgreSQL server: the postmaster (the parent of a backend) and all its children, from /proc.</summary>
    sealed class PostgresProcesses(int postmaster)
    {
        public static async Task<PostgresProcesses> FindAsync(string connection)
        {
            await using var db = new NpgsqlConnection(connection);
            await db.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT pg_backend_pid()", db);
            var backend = (int)(await cmd.ExecuteScalarAsync())!;
            return new PostgresProcesses(Stat(backend)?.Parent ?? 0);
        }

        public TimeSpan CpuTime()
        {
            if (postmaster == 0)
            {
                return TimeSpan.Zero;
            }

            long ticks = 0;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), out var pid) && Stat(pid) is { } s && (pid == postmaster || s.Parent == postmaster))
                {
                    ticks += s.Ticks;
                }
            }

            return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ
        }

        static (int Parent, long Ticks)? Stat(int pid)
        {
            try
            {
                var text = File.ReadAllText($"/proc/{pid}/stat");
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                // after the command: state(0) ppid(1) ... utime(11) stime(12)
                return (int.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return null;
            }
        }
    }
}
