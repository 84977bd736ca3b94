using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog.V1;
using Csto.Kernel;
using Csto.Membership.V1;
using Csto.Operations.V1;
using Csto.Security;
using Csto.Testing;
using Grpc.Core;

namespace Csto.Benchmarks;

/// <summary>
/// <c>--only suite</c>: what a user of the deployed suite pays. The three services run as separate processes (as
/// deploy/up.sh starts them: Release builds, SQLite files, a real broker, real tokens verified on every call); this
/// program is only their client, over loopback gRPC.
/// <list type="bullet">
/// <item>Durable commands/s of each service at 1, 16 and 64 concurrent callers, each figure beside the same service's
/// authenticated trivial call at the same concurrency, measured in the same run (membership: Grant/EndObserverStatus
/// against GetMemberState; bodies: RecordExternalRelation against GetBody; operations: ReportOutcome against
/// GetOperation of a small operation).</item>
/// <item>A decision crossing services: CloseDraft adopting an authorizing decision in bodies, until the operation
/// is in operations' log (its OperationOpened arrives on a live StreamEvents), offered open-loop at 20, 100 and 200
/// decisions/s, beside CloseDraft's own latency in the same run.</item>
/// </list>
/// </summary>
static class SuiteBench
{
    static readonly string[] Members = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"];

    /// <summary>Non-member states, one per caller (membership refuses observer status for a party).</summary>
    internal static readonly string[] NonMembers = [.. StateCodes.Codes.Order(StringComparer.Ordinal)
        .Where(c => !Members.Contains(c) && c is not ("AZE" or "GEO" or "UZB")).Take(64)];

    static readonly Cause Notice = new() { Notice = "benchmark" };

    static readonly Provenance Illustrative = new() { Basis = Basis.Illustrative, Reason = "benchmark load, not a fact" };

    public static async Task RunAsync(Config cfg, List<Row> table, TextWriter log, IReadOnlyCollection<string> parts)
    {
        await using var broker = new RabbitMqFixture();
        await broker.InitializeAsync();
        log.WriteLine($"suite: the three services as separate processes; broker {broker.Kind}");
        if (parts.Contains("commands") || parts.Contains("crossing"))
        {
            using var dir = new TempDir();
            await using var suite = await Suite.StartAsync(broker, dir.Path, log);
            await suite.SeedAsync(log);
            if (parts.Contains("commands"))
            {
                await CommandsAsync(cfg, table, log, suite);
            }

            if (parts.Contains("crossing"))
            {
                await CrossingAsync(cfg, table, log, suite);
            }

            foreach (var p in suite.All)
            {
                var (rss, peak) = p.MemoryMb();
                table.Add(new Row($"RSS of {p.Service} after the command runs", $"{rss:0} MB (peak {peak:0} MB)", p.MemoryParts(), "", "< 200 MB", rss < 200 ? "yes" : "NO"));
            }

            foreach (var p in suite.All)
            {
                await Profiler.HeapAsync(p, $"{p.Service}-heap-after-commands", log); // with CSTO_BENCH_PROFILE only
            }
        }

        if (parts.Contains("volume"))
        {
            await VolumeBench.RunAsync(cfg, table, log, broker);
        }
    }

    // ---------------------------------------------------------------- commands

    /// <summary>A run: calls/s, latency, and where the CPU went: ms of CPU per call in each service process and in this one (the callers).</summary>
    sealed record LoadResult(double Rate, double P50, double P99, long Calls, long Failed, string Cpu = "");

    static async Task CommandsAsync(Config cfg, List<Row> table, TextWriter log, Suite suite)
    {
        log.WriteLine($"S1. durable commands/s through gRPC, {cfg.SuiteSeconds:0.#} s per run, beside a trivial authenticated call of the same service");
        var operations = await suite.OpenOperationsAsync(64, log);
        var membership = new MembershipService.MembershipServiceClient(suite.Membership.Invoker(Roles.Secretariat));
        var membershipRead = new MembershipService.MembershipServiceClient(suite.Membership.Invoker(Roles.Reader));
        var bodies = new BodiesService.BodiesServiceClient(suite.Bodies.Invoker(Roles.Secretariat));
        var bodiesRead = new BodiesService.BodiesServiceClient(suite.Bodies.Invoker(Roles.Reader));
        var reporters = Members.ToDictionary(s => s, s => new OperationsService.OperationsServiceClient(suite.Operations.Invoker(Roles.Reporter, s)));
        var operationsRead = new OperationsService.OperationsServiceClient(suite.Operations.Invoker(Roles.Reader));
        var rounds = new long[64]; // per caller, across runs: each observer change a day later than the last
        var run = 0;
        // membership's writes ask for the BASIC view (the status, not the party's whole history, which grows by a period
        // with every write here); one more run at 64 callers asks for the FULL view, the default, to show what that costs
        var view = MemberStateView.Basic;

        var scenarios = new (string Service, string Write, Func<int, long, Task> Command, string Trivial, Func<int, Task> Ceiling)[]
        {
            ("membership", "Grant/EndObserverStatus (view BASIC)", async (caller, _) =>
            {
                var state = NonMembers[caller];
                var round = rounds[caller]++;
                var date = Date.From(new DateOnly(2031, 1, 1).AddDays((int)round));
                var id = $"bench-{state}-{round}";
                if (round % 2 == 0)
                {
                    await membership.GrantObserverStatusAsync(new GrantObserverStatusRequest { State = state, EffectiveDate = date, Cause = Notice, RequestId = id, Provenance = Illustrative, View = view });
                }
                else
                {
                    await membership.EndObserverStatusAsync(new EndObserverStatusRequest { State = state, EffectiveDate = date, Cause = Notice, RequestId = id, Provenance = Illustrative, View = view });
                }
            }, "GetMemberState", caller => membershipRead.GetMemberStateAsync(new GetMemberStateRequest { State = Members[caller % Members.Length] }).ResponseAsync),
            ("bodies", "RecordExternalRelation", (caller, n) => bodies.RecordExternalRelationAsync(new RecordExternalRelationRequest
            {
                RelationId = $"bench-{run}-{caller}-{n}", Counterpart = "Benchmark Organization " + caller.ToString(CultureInfo.InvariantCulture), Kind = RelationKind.Memorandum,
                EffectiveDate = Date.From(new DateOnly(2030, 1, 1)), Summary = "a memorandum recorded by the benchmark", Provenance = Illustrative,
            }).ResponseAsync, "GetBody", _ => bodiesRead.GetBodyAsync(new GetBodyRequest { Name = "bodies/csc" }).ResponseAsync),
            ("operations", "ReportOutcome", (caller, n) =>
            {
                var (operation, state) = operations[caller];
                return reporters[state].ReportOutcomeAsync(new ReportOutcomeRequest
                {
                    Operation = operation, State = state, ReportDate = Date.From(new DateOnly(2030, 6, 1)), Provenance = Illustrative,
                    Figures = new OutcomeFigures { Seizures = { new Seizure { Substance = Substance.Heroin, Amount = 1.5, Unit = Unit.Kilogram } }, PersonsDetained = 2 },
                }).ResponseAsync;
            }, "GetOperation", caller => operationsRead.GetOperationAsync(new GetOperationRequest { Name = suite.SmallOperation }).ResponseAsync),
        };

        foreach (var (service, write, command, trivial, ceiling) in scenarios.Where(s => cfg.Writes.Contains(s.Service)))
        {
            foreach (var callers in new[] { 1, 16, 64 })
            {
                await suite.SettleAsync(log);
                var top = await MedianAsync(cfg, log, $"{service} {trivial}, {callers} callers", () => LoadAsync(callers, cfg.SuiteSeconds, (c, _) => ceiling(c), suite));
                var host = suite.All.Single(h => h.Service == service);
                var profiled = false;
                var cmd = await MedianAsync(cfg, log, $"{service} {write}, {callers} callers", async () =>
                {
                    run++;
                    // CSTO_BENCH_PROFILE=<folder>: the first measured run at 64 callers is profiled (perf)
                    var profile = callers == 64 && !profiled && run > 1 ? Profiler.Start(host, $"{service}-{write.Replace('/', '-')}-64") : null;
                    profiled |= profile is not null;
                    var result = await LoadAsync(callers, cfg.SuiteSeconds, command, suite);
                    if (profile is not null)
                    {
                        await profile.ReportAsync(log);
                    }

                    return result;
                });
                var ratio = cmd.Rate / top.Rate;
                var target = callers == 64;
                table.Add(new Row($"{service} {write}/s, {callers} caller{(callers > 1 ? "s" : "")}", Machine.Rate(cmd.Rate) + Latency(cmd),
                    $"{trivial} {Machine.Rate(top.Rate)}{Latency(top)}", Machine.Pct(ratio), target ? ">= 50 % at 64" : "-", target ? (ratio >= 0.5 ? "yes" : "NO") : "-"));
                if (target)
                {
                    table.Add(new Row("  where the CPU goes (write, then read)", cmd.Cpu, top.Cpu, "", "", ""));
                }

                if (target && service == "membership")
                {
                    view = MemberStateView.Full;
                    var full = await MedianAsync(cfg, log, $"{service} Grant/EndObserverStatus (view FULL), {callers} callers", () => LoadAsync(callers, cfg.SuiteSeconds, command, suite));
                    view = MemberStateView.Basic;
                    table.Add(new Row($"membership Grant/EndObserverStatus/s, 64 callers, view FULL (each answer carries the party's whole history)", Machine.Rate(full.Rate) + Latency(full),
                        $"{trivial} {Machine.Rate(top.Rate)}{Latency(top)}", Machine.Pct(full.Rate / top.Rate), "-", "-"));
                    table.Add(new Row("  where the CPU goes (write, then read)", full.Cpu, top.Cpu, "", "", ""));
                }
            }
        }
    }

    static string Latency(LoadResult r) => string.Create(CultureInfo.InvariantCulture, $" (p50 {r.P50:0.0} ms, p99 {r.P99:0.0} ms{(r.Failed > 0 ? $", {r.Failed} failed" : "")})");

    /// <summary>Closed loop: <paramref name="callers"/> tasks call back to back for <paramref name="seconds"/>.</summary>
    static async Task<LoadResult> LoadAsync(int callers, double seconds, Func<int, long, Task> call, Suite suite)
    {
        var latencies = new List<long>[callers];
        long failed = 0;
        string? firstError = null;
        var cpuBefore = suite.All.Select(p => p.Cpu()).Append(Process.GetCurrentProcess().TotalProcessorTime).ToArray();
        var sw = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = new List<long>(4096);
            for (long n = 0; sw.Elapsed < deadline; n++)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await call(c, n);
                    mine.Add(Stopwatch.GetTimestamp() - start);
                }
                catch (RpcException ex)
                {
                    Interlocked.Increment(ref failed);
                    firstError ??= ex.Status.ToString();
                }
            }
        })));
        var elapsed = sw.Elapsed;
        if (failed > 0)
        {
            Console.Error.WriteLine($"    {failed} calls failed, e.g. {firstError}");
        }

        var all = latencies.SelectMany(l => l).Order().ToArray();
        var cpuAfter = suite.All.Select(p => p.Cpu()).Append(Process.GetCurrentProcess().TotalProcessorTime).ToArray();
        var names = suite.All.Select(p => p.Service).Append("callers").ToArray();
        var cpu = string.Join(", ", names.Select((n, i) => string.Create(CultureInfo.InvariantCulture, $"{n} {(cpuAfter[i] - cpuBefore[i]).TotalMilliseconds / Math.Max(1, all.Length):0.00}")));
        return new LoadResult(all.Length / elapsed.TotalSeconds, Ms(all, 0.50), Ms(all, 0.99), all.Length, failed, "cpu ms/call: " + cpu);
    }

    static double Ms(long[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))] * 1000.0 / Stopwatch.Frequency;

    static async Task<LoadResult> MedianAsync(Config cfg, TextWriter log, string name, Func<Task<LoadResult>> run)
    {
        await run(); // warm-up
        var results = new List<LoadResult>();
        for (var i = 0; i < cfg.Repeats; i++)
        {
            var r = await run();
            results.Add(r);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {name} run {i + 1}: {r.Calls:#,0} calls, {r.Rate:#,0}/s, p50 {r.P50:0.0} ms, p99 {r.P99:0.0} ms; {r.Cpu} ({Machine.Uptime()})"));
        }

        // the CPU split of the median run (by rate)
        var median = results.OrderBy(r => r.Rate).ElementAt(results.Count / 2);
        return new LoadResult(Machine.Median(results.Select(r => r.Rate)), Machine.Median(results.Select(r => r.P50)), Machine.Median(results.Select(r => r.P99)),
            (long)Machine.Median(results.Select(r => (double)r.Calls)), (long)Machine.Median(results.Select(r => (double)r.Failed)), median.Cpu);
    }

    // ---------------------------------------------------------------- a decision crossing services

    static async Task CrossingAsync(Config cfg, List<Row> table, TextWriter log, Suite suite)
    {
        log.WriteLine($"S2. a decision crossing services: CloseDraft in bodies -> OperationOpened in operations' log, open loop, {cfg.CrossingSeconds:0.#} s per rate");
        foreach (var rate in new[] { 20, 100, 200 })
        {
            var runs = new List<(LoadResult Crossing, LoadResult Close)>();
            for (var i = 0; i < cfg.Repeats; i++)
            {
                var r = await CrossOnceAsync(suite, rate, cfg.CrossingSeconds, log);
                runs.Add(r);
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {rate}/s run {i + 1}: {r.Crossing.Calls} decisions at {r.Crossing.Rate:0.0}/s, crossing p50 {r.Crossing.P50:0.0} ms p99 {r.Crossing.P99:0.0} ms; CloseDraft p50 {r.Close.P50:0.0} ms p99 {r.Close.P99:0.0} ms ({Machine.Uptime()})"));
            }

            double Med(Func<(LoadResult Crossing, LoadResult Close), double> f) => Machine.Median(runs.Select(f));
            var p50 = Med(r => r.Crossing.P50);
            var p99 = Med(r => r.Crossing.P99);
            var target = rate == 100;
            table.Add(new Row($"decision crossing services at {rate}/s offered (achieved {Med(r => r.Crossing.Rate):0}/s)",
                string.Create(CultureInfo.InvariantCulture, $"p50 {p50:0.0} ms, p99 {p99:0.0} ms"),
                string.Create(CultureInfo.InvariantCulture, $"CloseDraft p50 {Med(r => r.Close.P50):0.0} ms, p99 {Med(r => r.Close.P99):0.0} ms"),
                string.Create(CultureInfo.InvariantCulture, $"p99 {p99 / Med(r => r.Close.P99):0.0}x CloseDraft's"),
                target ? "p99 <= 50 ms at 100/s" : "-", target ? (p99 <= 50 ? "yes" : "NO") : "-"));
        }
    }

    static async Task<(LoadResult Crossing, LoadResult Close)> CrossOnceAsync(Suite suite, int rate, double seconds, TextWriter log)
    {
        var count = Math.Max(5, (int)(rate * seconds));
        var drafts = await suite.TableAuthorizingDraftsAsync(count, log);
        var operationsLog = new EventLogService.EventLogServiceClient(suite.Operations.Invoker(Roles.Reader));
        var head = (await operationsLog.GetLogInfoAsync(new GetLogInfoRequest())).HeadPosition;
        var sent = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var arrived = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var opened = OperationOpened.Descriptor.FullName;
        var tail = Task.Run(async () =>
        {
            using var call = operationsLog.StreamEvents(new StreamEventsRequest { FromPosition = head + 1, Follow = true, Filter = new EventFilter { EventTypes = { opened } } }, cancellationToken: stop.Token);
            try
            {
                await foreach (var response in call.ResponseStream.ReadAllAsync(stop.Token))
                {
                    var now = Stopwatch.GetTimestamp();
                    foreach (var record in response.Events?.Records ?? [])
                    {
                        var name = OperationOpened.Parser.ParseFrom(record.Data).DisplayName;
                        arrived.TryAdd(name, now);
                        if (arrived.Count >= count)
                        {
                            all.TrySetResult();
                        }
                    }
                }
            }
            catch (RpcException) when (stop.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
            }
        });

        var bodies = new BodiesService.BodiesServiceClient(suite.Bodies.Invoker(Roles.Secretariat));
        var closes = new List<long>();
        var calls = new List<Task>();
        var failed = 0L;
        var interval = Stopwatch.Frequency / (double)rate;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < drafts.Count; i++)
        {
            var due = start + (long)(i * interval);
            while (Stopwatch.GetTimestamp() < due)
            {
                var wait = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (wait > 1)
                {
                    await Task.Delay((int)wait);
                }
                else
                {
                    Thread.SpinWait(50);
                }
            }

            var (draft, name) = drafts[i];
            calls.Add(Task.Run(async () =>
            {
                var t0 = Stopwatch.GetTimestamp();
                sent[name] = t0;
                try
                {
                    await bodies.CloseDraftAsync(new CloseDraftRequest { Draft = draft, Action = CloseAction.Decide, Provenance = Illustrative });
                    lock (closes)
                    {
                        closes.Add(Stopwatch.GetTimestamp() - t0);
                    }
                }
                catch (RpcException ex)
                {
                    Interlocked.Increment(ref failed);
                    Console.Error.WriteLine("    CloseDraft failed: " + ex.Status);
                }
            }));
        }

        var offeredFor = Stopwatch.GetElapsedTime(start);
        await Task.WhenAll(calls);
        await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        await stop.CancelAsync();
        await tail;
        var crossing = sent.Where(s => arrived.ContainsKey(s.Key)).Select(s => arrived[s.Key] - s.Value).Order().ToArray();
        if (crossing.Length < count)
        {
            Console.Error.WriteLine($"    only {crossing.Length} of {count} operations arrived within 60 s");
        }

        var closeSorted = closes.Order().ToArray();
        return (new LoadResult(count / offeredFor.TotalSeconds, Ms(crossing, 0.5), Ms(crossing, 0.99), crossing.Length, count - crossing.Length),
            new LoadResult(0, Ms(closeSorted, 0.5), Ms(closeSorted, 0.99), closeSorted.Length, failed));
    }

    // ---------------------------------------------------------------- the suite

    /// <summary>The three services as processes on one virtual host of the broker, in one data folder.</summary>
    internal sealed class Suite : IAsyncDisposable
    {
        int _drafts;

        public required SuiteProcess Membership { get; init; }

        public required SuiteProcess Bodies { get; init; }

        public required SuiteProcess Operations { get; init; }

        public IEnumerable<SuiteProcess> All => [Membership, Bodies, Operations];

        public string SmallOperation { get; private set; } = "";

        public static async Task<Suite> StartAsync(RabbitMqFixture broker, string dataDir, TextWriter log, string? url = null)
        {
            url ??= await broker.NewVirtualHostUrlAsync();
            var sw = Stopwatch.StartNew();
            // consumers first, so that their queues are bound before membership publishes
            var bodies = await SuiteProcess.StartAsync("bodies", url, dataDir);
            var operations = await SuiteProcess.StartAsync("operations", url, dataDir);
            var membership = await SuiteProcess.StartAsync("membership", url, dataDir);
            log.WriteLine($"  started membership ({membership.Address}), bodies ({bodies.Address}), operations ({operations.Address}) in {sw.Elapsed.TotalSeconds:0.0} s");
            return new Suite { Membership = membership, Bodies = bodies, Operations = operations };
        }

        /// <summary>Six members from 1994 (signature and entry into force), until the bodies service counts them.</summary>
        public async Task SeedAsync(TextWriter log)
        {
            var membership = new MembershipService.MembershipServiceClient(Membership.Invoker(Roles.Secretariat));
            var treaty = new Cause { TreatyAct = "Collective Security Treaty, Tashkent" };
            var sourced = new Provenance { Basis = Basis.Sourced, Source = "shared/domain.md" };
            foreach (var state in Members)
            {
                await membership.RecordSignatureAsync(new RecordSignatureRequest { State = state, EffectiveDate = Date.From(new(1992, 5, 15)), Cause = treaty, RequestId = "seed-sign-" + state, Provenance = sourced });
                await membership.RecordEntryIntoForceAsync(new RecordEntryIntoForceRequest { State = state, EffectiveDate = Date.From(new(1994, 4, 20)), Cause = treaty, RequestId = "seed-force-" + state, Provenance = sourced });
            }

            var bodies = new BodiesService.BodiesServiceClient(Bodies.Minting());
            await bodies.ConveneSessionAsync(new ConveneSessionRequest
            {
                Body = "bodies/csc", SessionId = "bench-2030", Date = Date.From(new(2030, 1, 10)), Place = "Moscow", HostState = "RUS", RequestId = "seed-session", Provenance = Illustrative,
            });
            // the bodies service counts positions against its roster: wait until the six members reached it, retrying the
            // same draft (its request ids make each retry a no-op where it got before), so that the seeded operation is
            // always Bench1 however long the roster takes on a loaded machine
            var deadline = DateTime.UtcNow.AddMinutes(2);
            var first = Interlocked.Increment(ref _drafts);
            while (true)
            {
                try
                {
                    var small = await TableAuthorizingDraftsAsync(1, log, closeNow: true, number: first);
                    SmallOperation = "operations/" + Slug(small[0].Name);
                    break;
                }
                catch (RpcException ex) when (DateTime.UtcNow < deadline && ex.StatusCode == StatusCode.FailedPrecondition)
                {
                    await Task.Delay(200);
                }
            }

            var operations = new OperationsService.OperationsServiceClient(Operations.Invoker(Roles.Reader));
            await WaitForOperationAsync(operations, SmallOperation);
            log.WriteLine($"  seeded six members, session bench-2030, {SmallOperation}");
        }

        static string Slug(string name) => name.ToLowerInvariant();

        static async Task WaitForOperationAsync(OperationsService.OperationsServiceClient operations, string name)
        {
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (true)
            {
                try
                {
                    await operations.GetOperationAsync(new GetOperationRequest { Name = name });
                    return;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }
            }
        }

        /// <summary>
        /// Tables <paramref name="count"/> drafts authorizing an operation each, with the six members' support recorded,
        /// ready for CloseDraft (or closed now). Returns the drafts and the operations' names.
        /// </summary>
        public async Task<IReadOnlyList<(string Draft, string Name)>> TableAuthorizingDraftsAsync(int count, TextWriter log, bool closeNow = false, int? number = null)
        {
            var bodies = new BodiesService.BodiesServiceClient(Bodies.Minting());
            var sw = Stopwatch.StartNew();
            var drafts = new (string, string)[count];
            using var gate = new SemaphoreSlim(16);
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    var n = number ?? Interlocked.Increment(ref _drafts);
                    var id = "bench-" + n.ToString(CultureInfo.InvariantCulture);
                    var name = "Bench" + n.ToString(CultureInfo.InvariantCulture);
                    await bodies.TableDraftAsync(new TableDraftRequest
                    {
                        Session = "sessions/bench-2030", DraftId = id, Title = name, RequestId = "table-" + id, Provenance = Illustrative,
                        Payload = new DecisionPayload { AuthorizeOperation = new AuthorizeOperation { Name = name, Kind = OperationKind.AntiDrug, StartDate = Date.From(new(2030, 1, 10)), Permanent = true } },
                    });
                    foreach (var state in Members)
                    {
                        await bodies.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/" + id, State = state, Position = Position.Support, RequestId = $"pos-{id}-{state}", Provenance = Illustrative });
                    }

                    if (closeNow)
                    {
                        await bodies.CloseDraftAsync(new CloseDraftRequest { Draft = "drafts/" + id, Action = CloseAction.Decide, RequestId = "close-" + id, Provenance = Illustrative });
                    }

                    drafts[i] = ("drafts/" + id, name);
                }
                finally
                {
                    gate.Release();
                }
            }));
            if (count > 1)
            {
                log.WriteLine($"    tabled {count} drafts with six positions each in {sw.Elapsed.TotalSeconds:0.0} s");
            }

            return drafts;
        }

        /// <summary><paramref name="count"/> operations, each with one member taking part: (operation, reporting state).</summary>
        public async Task<IReadOnlyList<(string Operation, string State)>> OpenOperationsAsync(int count, TextWriter log)
        {
            var drafts = await TableAuthorizingDraftsAsync(count, log, closeNow: true);
            var operations = new OperationsService.OperationsServiceClient(Operations.Minting());
            var result = new List<(string, string)>();
            for (var i = 0; i < drafts.Count; i++)
            {
                var name = "operations/" + Slug(drafts[i].Name);
                var state = Members[i % Members.Length];
                await WaitForOperationAsync(operations, name);
                await operations.JoinOperationAsync(new JoinOperationRequest { Operation = name, State = state, Agencies = { Agency.Police }, JoinDate = Date.From(new(2030, 1, 10)), RequestId = "join-" + name, Provenance = Illustrative });
                result.Add((name, state));
            }

            return result;
        }

        /// <summary>
        /// Waits until the suite is quiet: in every service the relay and every projection are at the log's head, and no
        /// head moved for half a second (the consumers have applied what the last run published). A run measured while
        /// another's backlog drains would time the backlog: reads wait for the projections to apply it.
        /// </summary>
        public async Task SettleAsync(TextWriter log)
        {
            var sw = Stopwatch.StartNew();
            var clients = All.Select(p => new EventLogService.EventLogServiceClient(p.Invoker(Roles.Operator))).ToList();
            var last = new long[clients.Count];
            while (sw.Elapsed < TimeSpan.FromSeconds(120))
            {
                var infos = await Task.WhenAll(clients.Select(c => c.GetLogInfoAsync(new GetLogInfoRequest()).ResponseAsync));
                var heads = infos.Select(i => i.HeadPosition).ToArray();
                var quiet = heads.SequenceEqual(last) && infos.All(i => i.Relay.Checkpoint >= i.HeadPosition && i.Projections.All(p => p.Checkpoint >= i.HeadPosition));
                if (quiet)
                {
                    if (sw.Elapsed > TimeSpan.FromSeconds(1))
                    {
                        log.WriteLine($"    (waited {sw.Elapsed.TotalSeconds:0.0} s for the suite to apply the last run's events)");
                    }

                    return;
                }

                last = heads;
                await Task.Delay(500);
            }

            log.WriteLine("    (the suite did not settle within 120 s; measuring anyway)");
        }

        public async ValueTask DisposeAsync()
        {
            await Membership.DisposeAsync();
            await Operations.DisposeAsync();
            await Bodies.DisposeAsync();
        }
    }
}
