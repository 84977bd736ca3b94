using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Relay;
using Csto.EventLog.V1;
using Csto.Kernel;
using Csto.Membership.V1;
using Csto.Operations.V1;
using Csto.Security;
using Csto.Testing;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace Csto.Benchmarks;

/// <summary>
/// <c>--only suite:volume</c>: the suite as the log grows. A seed suite (separate processes) records, through its
/// APIs, one adopted decision authorizing an operation, that operation with a participant and 20 outcome reports, and an
/// observer status granted and ended; those real records are the templates. For each size (10 k, 100 k, 1 M, and 10 M with
/// --10m; quick: 10 k, 100 k) each service's log is that seed log plus copies of its template until it holds the size: bodies gets
/// decisions (tabled, six positions, adopted), operations gets operations with their reports, membership gets observer
/// status periods of 64 non-member states, one day later each time. The copies are appended with the store as a
/// library (the relay checkpoint set to the head, so nothing is published); then the three services start as processes
/// on those files and build their projections from the log. Measured per size, from this process over loopback gRPC:
/// GetRoster as of a date, GetOperationTotals, GetDecision and a ListEvents page (p50/p99 of sequential calls, ceiling:
/// the same query at the smallest size); at 1 M also StreamEvents of the whole operations log against a raw read of the
/// same rows, RebuildProjections of each service against a raw read of its log with the resident set sampled during the
/// rebuild, and each service's resident set after serving; at 10 M the replay (StreamEvents of all 10 M).
/// </summary>
static class VolumeBench
{
    const string TemplateDecision = "bench-1";
    const string TemplateOperation = "bench1";

    static readonly Provenance Illustrative = new() { Basis = Basis.Illustrative, Reason = "benchmark load, not a fact" };

    public static async Task RunAsync(Config cfg, List<Row> table, TextWriter log, RabbitMqFixture broker)
    {
        log.WriteLine($"S3. the suite as the log grows: {string.Join(", ", cfg.VolumeSizes.Select(s => s.ToString("#,0", CultureInfo.InvariantCulture)))} events per service");
        using var seedDir = new TempDir();
        await SeedAsync(broker, seedDir.Path, log);
        var templates = await Templates.ReadAsync(seedDir.Path);
        var baseline = new Dictionary<string, (double P50, double P99)>(StringComparer.Ordinal);
        foreach (var size in cfg.VolumeSizes)
        {
            using var dir = new TempDir();
            var sw = Stopwatch.StartNew();
            var generated = new Dictionary<string, Generated>(StringComparer.Ordinal);
            foreach (var service in new[] { "membership", "bodies", "operations" })
            {
                generated[service] = await templates.GenerateAsync(service, seedDir.Path, dir.Path, size);
            }

            log.WriteLine($"  {size:#,0}: generated three logs in {sw.Elapsed.TotalSeconds:0} s ({Machine.Uptime()})");
            sw.Restart();
            var url = await broker.NewVirtualHostUrlAsync();
            await using var bodies = await SuiteProcess.StartAsync("bodies", url, dir.Path);
            await using var operations = await SuiteProcess.StartAsync("operations", url, dir.Path);
            await using var membership = await SuiteProcess.StartAsync("membership", url, dir.Path);
            var hosts = new[] { membership, bodies, operations };
            await Task.WhenAll(hosts.Select(h => CaughtUpAsync(h, generated[h.Service].Head)));
            log.WriteLine($"  {size:#,0}: services started and their projections built from the log in {sw.Elapsed.TotalSeconds:0.0} s");

            var rng = new Random(size);
            var roster = new MembershipService.MembershipServiceClient(membership.Invoker(Roles.Reader));
            var decisions = new BodiesService.BodiesServiceClient(bodies.Invoker(Roles.Reader));
            var totals = new OperationsService.OperationsServiceClient(operations.Invoker(Roles.Reader));
            var events = new EventLogService.EventLogServiceClient(operations.Invoker(Roles.Reader));
            var queries = new (string Name, Func<Task> Call)[]
            {
                ("GetRoster as of 2030-06-01", () => roster.GetRosterAsync(new GetRosterRequest { AsOf = Date.From(new(2030, 6, 1)), IncludeObserversAndPartners = true }).ResponseAsync),
                ("GetOperationTotals", () => totals.GetOperationTotalsAsync(new GetOperationTotalsRequest { Operation = "operations/" + generated["operations"].RandomId(rng) }).ResponseAsync),
                ("GetDecision", () => decisions.GetDecisionAsync(new GetDecisionRequest { Name = "decisions/" + generated["bodies"].RandomId(rng) }).ResponseAsync),
                ("ListEvents page of 100 (operations)", () => events.ListEventsAsync(new ListEventsRequest { FromPosition = rng.NextInt64(1, generated["operations"].Head), PageSize = 100 }).ResponseAsync),
            };
            foreach (var (name, call) in queries)
            {
                var (p50, p99) = await LatencyAsync(cfg, call);
                // CSTO_BENCH_PROFILE=<folder>: one more run of GetOperationTotals at 1 M and more, profiled (its tail; not in the median)
                if (name == "GetOperationTotals" && size >= 1_000_000 && Profiler.Start(operations, $"operations-GetOperationTotals-{Size(size)}") is { } trace)
                {
                    var gc = await Profiler.CollectionsAsync(operations);
                    var (t50, t99) = await LatencyAsync(cfg with { Repeats = 1 }, call, warmUp: false);
                    var gcAfter = await Profiler.CollectionsAsync(operations);
                    await trace.ReportAsync(log);
                    log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"    {name}, profiled: p50 {t50:0.00} ms, p99 {t99:0.00} ms; garbage collections in operations during it: gen0 {gcAfter.Gen0 - gc.Gen0}, gen1 {gcAfter.Gen1 - gc.Gen1}, gen2 {gcAfter.Gen2 - gc.Gen2}, paused {(gcAfter.PauseSeconds - gc.PauseSeconds) * 1000:0.0} ms in all"));
                }

                baseline.TryAdd(name, (p50, p99));
                var (b50, b99) = baseline[name];
                var target = size == 10_000_000;
                table.Add(new Row($"{name} at {Size(size)} events", string.Create(CultureInfo.InvariantCulture, $"p50 {p50:0.00} ms, p99 {p99:0.00} ms"),
                    string.Create(CultureInfo.InvariantCulture, $"at {Size(cfg.VolumeSizes[0])}: p50 {b50:0.00} ms, p99 {b99:0.00} ms"),
                    string.Create(CultureInfo.InvariantCulture, $"p99 {p99 / b99:0.0}x"), target ? "p99 <= 5 ms at 10 M, flat" : "flat",
                    target ? (p99 <= 5 ? "yes" : "NO") : (p99 <= 2 * b99 + 1 ? "yes" : "NO")));
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {name}: p50 {p50:0.00} ms, p99 {p99:0.00} ms ({Machine.Uptime()})"));
            }

            if (size == 1_000_000 || (size == cfg.VolumeSizes[^1] && size < 1_000_000))
            {
                await StreamAsync(cfg, table, log, operations, generated["operations"], "StreamEvents", "1M in < 5 s, >= 70 % of raw");
                foreach (var host in hosts)
                {
                    await RebuildAsync(cfg, table, log, host, generated[host.Service]);
                }

                foreach (var host in hosts)
                {
                    var (rss, peak) = host.MemoryMb();
                    table.Add(new Row($"RSS of {host.Service}, log of {Size(size)} events, after queries and a rebuild", $"{rss:0} MB (peak {peak:0} MB)", host.MemoryParts(), "", "< 200 MB", rss < 200 ? "yes" : "NO"));
                }

                foreach (var host in hosts)
                {
                    await Profiler.HeapAsync(host, $"{host.Service}-heap-{Size(size)}", log); // with CSTO_BENCH_PROFILE only
                }
            }

            if (size == 10_000_000)
            {
                await StreamAsync(cfg, table, log, operations, generated["operations"], "replay (StreamEvents)", "10M in < 50 s");
            }
        }
    }

    static string Size(long size) => size >= 1_000_000 ? (size / 1_000_000).ToString(CultureInfo.InvariantCulture) + " M" : (size / 1000).ToString(CultureInfo.InvariantCulture) + " k";

    static async Task CaughtUpAsync(SuiteProcess host, long head)
    {
        var info = new EventLogService.EventLogServiceClient(host.Invoker(Roles.Operator));
        while ((await info.GetLogInfoAsync(new GetLogInfoRequest())).Projections.Any(p => p.Checkpoint < head))
        {
            await Task.Delay(100);
        }
    }

    /// <summary>Sequential calls for the configured time after 50 warm-up calls: p50 and p99 in ms.</summary>
    static async Task<(double P50, double P99)> LatencyAsync(Config cfg, Func<Task> call, bool warmUp = true)
    {
        for (var i = 0; warmUp && i < 50; i++)
        {
            await call();
        }

        var runs = new List<(double, double)>();
        for (var r = 0; r < cfg.Repeats; r++)
        {
            var samples = new List<long>();
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < cfg.SuiteSeconds)
            {
                var t = Stopwatch.GetTimestamp();
                await call();
                samples.Add(Stopwatch.GetTimestamp() - t);
            }

            var sorted = samples.Order().ToArray();
            runs.Add((Ms(sorted, 0.5), Ms(sorted, 0.99)));
        }

        return (Machine.Median(runs.Select(r => r.Item1)), Machine.Median(runs.Select(r => r.Item2)));
    }

    static double Ms(long[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))] * 1000.0 / Stopwatch.Frequency;

    /// <summary>The whole log through StreamEvents (another process, loopback) against a raw read of the same rows here.</summary>
    static async Task StreamAsync(Config cfg, List<Row> table, TextWriter log, SuiteProcess host, Generated log2, string what, string target)
    {
        var client = new EventLogService.EventLogServiceClient(host.Invoker(Roles.Reader));
        var raw = await Machine.MedianOfAsync(cfg, log, $"raw SQLite read of {log2.Head:#,0} rows, seconds", () => Task.FromResult(RawReadSeconds(log2.Path, log2.Head)));
        var seconds = await Machine.MedianOfAsync(cfg, log, $"{what} of {log2.Head:#,0} events out of process, seconds", async () =>
        {
            var sw = Stopwatch.StartNew();
            long n = 0;
            using var call = client.StreamEvents(new StreamEventsRequest { FromPosition = 1, ToPosition = log2.Head, MaxBatchSize = 5000 });
            await foreach (var response in call.ResponseStream.ReadAllAsync())
            {
                n += response.Events?.Records.Count ?? 0;
            }

            return n == log2.Head ? sw.Elapsed.TotalSeconds : throw new InvalidOperationException($"streamed {n} of {log2.Head}");
        });
        var perMillion = seconds * 1_000_000 / log2.Head;
        var limit = target.StartsWith("10M", StringComparison.Ordinal) ? 50.0 : 5.0;
        var scaled = target.StartsWith("10M", StringComparison.Ordinal) ? seconds * 10_000_000 / log2.Head : perMillion;
        table.Add(new Row($"{what}, {log2.Head:#,0} events, out of process", $"{seconds:0.00} s ({Machine.Rate(log2.Head / seconds)})", $"raw read {raw:0.00} s",
            Machine.Pct(raw / seconds) + " of raw speed", target, (scaled < limit && (limit > 5 || raw / seconds >= 0.7) ? "yes" : "NO") + (log2.Head >= 1_000_000 ? "" : $" ({perMillion:0.0} s/1M extrapolated)")));
    }

    static double RawReadSeconds(string path, long head)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT position, stream_id, stream_version, event_id, type, data, recorded_at, metadata FROM events WHERE position <= $h ORDER BY position";
        cmd.Parameters.AddWithValue("$h", head);
        var sw = Stopwatch.StartNew();
        long n = 0, check = 0;
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                check += reader.GetInt64(0) + reader.GetString(1).Length + reader.GetInt64(2) + reader.GetString(3).Length + reader.GetString(4).Length
                    + ((byte[])reader.GetValue(5)).Length + (reader.GetInt64(6) & 0xff) + ((byte[])reader.GetValue(7)).Length;
                n++;
            }
        }

        return n == head && check > 0 ? sw.Elapsed.TotalSeconds : throw new InvalidOperationException($"raw read saw {n} rows, expected {head}");
    }

    /// <summary>RebuildProjections through the API (fresh tables, hashes of both, swap), the resident set sampled every 50 ms.</summary>
    static async Task RebuildAsync(Config cfg, List<Row> table, TextWriter log, SuiteProcess host, Generated generated)
    {
        var client = new EventLogService.EventLogServiceClient(host.Invoker(Roles.Operator));
        var raw = RawReadSeconds(generated.Path, generated.Head);
        var before = host.MemoryMb().Rss;
        var peak = before;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, host.MemoryMb().Rss);
                await Task.Delay(50);
            }
        });
        async Task<double> Rebuild()
        {
            var sw = Stopwatch.StartNew();
            var response = await client.RebuildProjectionsAsync(new RebuildProjectionsRequest(), deadline: DateTime.UtcNow.AddMinutes(30));
            if (response.Results.Any(r => !r.HashesMatch))
            {
                throw new InvalidOperationException($"{host.Service}: a rebuilt projection differs from the live one");
            }

            return sw.Elapsed.TotalSeconds;
        }

        var seconds = await Machine.MedianOfAsync(cfg, log, $"{host.Service} RebuildProjections of {generated.Head:#,0} events, seconds", Rebuild, warmUp: false);
        // CSTO_BENCH_PROFILE=<folder>: one more rebuild, profiled (not in the median: sampling slows it)
        if (Profiler.Start(host, $"{host.Service}-rebuild-{Size(generated.Head)}") is { } trace)
        {
            var profiledSeconds = await Rebuild();
            await trace.ReportAsync(log);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {host.Service} RebuildProjections, profiled: {profiledSeconds:0.00} s"));
        }

        await stop.CancelAsync();
        await sampler;
        var after = host.MemoryMb().Rss;
        table.Add(new Row($"projection rebuild of {host.Service}, {generated.Head:#,0} events", $"{seconds:0.00} s", $"raw read {raw:0.00} s", $"{seconds / raw:0.0}x raw",
            "1M in < 10 s, memory flat", (seconds * 1_000_000 / generated.Head < 10 ? "yes" : "NO") + $"; RSS {before:0} -> peak {peak:0} -> {after:0} MB"));
    }

    // ---------------------------------------------------------------- seed and templates

    static async Task SeedAsync(RabbitMqFixture broker, string dir, TextWriter log)
    {
        var sw = Stopwatch.StartNew();
        var url = await broker.NewVirtualHostUrlAsync();
        await using var suite = await SuiteBench.Suite.StartAsync(broker, dir, log, url);
        await suite.SeedAsync(log); // six members, a session, decision bench-1 authorizing Bench1
        var membership = new MembershipService.MembershipServiceClient(suite.Membership.Invoker(Roles.Secretariat));
        var observer = SuiteBench.NonMembers[0];
        await membership.GrantObserverStatusAsync(new GrantObserverStatusRequest { State = observer, EffectiveDate = Date.From(new(2030, 1, 1)), Cause = new Cause { Notice = "benchmark" }, RequestId = "tpl-grant", Provenance = Illustrative });
        await membership.EndObserverStatusAsync(new EndObserverStatusRequest { State = observer, EffectiveDate = Date.From(new(2030, 1, 2)), Cause = new Cause { Notice = "benchmark" }, RequestId = "tpl-end", Provenance = Illustrative });
        var operations = new OperationsService.OperationsServiceClient(suite.Operations.Minting());
        var name = "operations/" + TemplateOperation;
        await operations.JoinOperationAsync(new JoinOperationRequest { Operation = name, State = "KAZ", Agencies = { Agency.Police, Agency.DrugControl }, JoinDate = Date.From(new(2030, 1, 10)), RequestId = "tpl-join", Provenance = Illustrative });
        for (var i = 0; i < 20; i++)
        {
            await operations.ReportOutcomeAsync(new ReportOutcomeRequest
            {
                Operation = name, State = "KAZ", ReportDate = Date.From(new DateOnly(2030, 2, 1).AddDays(i)), RequestId = "tpl-report-" + i.ToString(CultureInfo.InvariantCulture), Provenance = Illustrative,
                Figures = new OutcomeFigures
                {
                    Seizures = { new Seizure { Substance = Substance.Heroin, Amount = 1.5 + i, Unit = Unit.Kilogram }, new Seizure { Substance = Substance.Hashish, Amount = 20 + i, Unit = Unit.Kilogram } },
                    PersonsDetained = i, Firearms = i % 3,
                },
            });
        }

        log.WriteLine($"  seed suite recorded its templates in {sw.Elapsed.TotalSeconds:0.0} s");
    }

    sealed record Generated(string Path, long Head, int Copies, string Prefix)
    {
        /// <summary>The id of one of the copies (decision or operation), at random.</summary>
        public string RandomId(Random rng) => Prefix + rng.Next(1, Copies + 1).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The template streams, as recorded by the seed suite.</summary>
    sealed class Templates
    {
        public required IReadOnlyList<EventRecord> Decision { get; init; }

        public required IReadOnlyList<EventRecord> Operation { get; init; }

        public required IReadOnlyList<EventRecord> Observer { get; init; }

        public static async Task<Templates> ReadAsync(string seedDir)
        {
            async Task<IReadOnlyList<EventRecord>> Stream(string service, string stream)
            {
                await using var store = new SqliteEventStore(System.IO.Path.Combine(seedDir, service + ".db"), service);
                var records = await store.ReadStreamAsync(stream);
                return records.Count > 0 ? records : throw new InvalidOperationException($"the seed {service} log has no stream {stream}");
            }

            return new Templates
            {
                Decision = await Stream("bodies", "decision-" + TemplateDecision),
                Operation = await Stream("operations", "operation-" + TemplateOperation),
                Observer = [.. (await Stream("membership", "member-" + SuiteBench.NonMembers[0]))],
            };
        }

        /// <summary>
        /// The seed log of <paramref name="service"/> copied into <paramref name="dir"/> and grown to <paramref name="size"/>
        /// events. The copies are rows as the store writes them (position, stream and version, a fresh event id, the type,
        /// the rewritten message, the template's metadata), inserted in transactions of 50,000 rows without an fsync each:
        /// a generated log is a fixture, and through the store's durable group commit 10 M events took most of an hour.
        /// The store opens the file afterwards (its head, the stream versions) and sets the relay's checkpoint.
        /// </summary>
        public async Task<Generated> GenerateAsync(string service, string seedDir, string dir, int size)
        {
            var path = System.IO.Path.Combine(dir, service + ".db");
            // a consistent copy of the seed file (its WAL included)
            using (var source = new SqliteConnection($"Data Source={System.IO.Path.Combine(seedDir, service + ".db")};Pooling=False"))
            using (var target = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                source.Open();
                target.Open();
                source.BackupDatabase(target);
            }

            var copies = 0;
            var prefix = service switch { "bodies" => "g-", "operations" => "g", _ => "" };
            Func<int, (string Stream, List<NewEvent> Events)> next = service switch
            {
                "bodies" => k => (("decision-" + prefix + k.ToString(CultureInfo.InvariantCulture)), Renamed(Decision, k)),
                "operations" => k => (("operation-" + prefix + k.ToString(CultureInfo.InvariantCulture)), Renamed(Operation, k)),
                _ => k => Observed(k),
            };
            using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                connection.Open();
                using (var pragmas = connection.CreateCommand())
                {
                    pragmas.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000;";
                    pragmas.ExecuteNonQuery();
                }

                long head;
                using (var max = connection.CreateCommand())
                {
                    max.CommandText = "SELECT COALESCE(MAX(position), 0) FROM events";
                    head = (long)max.ExecuteScalar()!;
                }

                var versions = new Dictionary<string, long>(StringComparer.Ordinal);
                var transaction = connection.BeginTransaction();
                using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO events(position, stream_id, stream_version, event_id, type, data, recorded_at, metadata) VALUES ($p, $s, $v, $id, $t, $d, $at, $m)";
                var p = new[] { "$p", "$s", "$v", "$id", "$t", "$d", "$at", "$m" }.Select(n => insert.Parameters.Add(n, n is "$d" or "$m" ? SqliteType.Blob : n is "$s" or "$id" or "$t" ? SqliteType.Text : SqliteType.Integer)).ToArray();
                var inTransaction = 0;
                while (head < size)
                {
                    var (stream, events) = next(++copies);
                    var version = versions.GetValueOrDefault(stream);
                    if (version == 0 && !stream.StartsWith("decision-", StringComparison.Ordinal) && !stream.StartsWith("operation-", StringComparison.Ordinal))
                    {
                        using var current = connection.CreateCommand();
                        current.Transaction = transaction;
                        current.CommandText = "SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = $s";
                        current.Parameters.AddWithValue("$s", stream);
                        version = (long)current.ExecuteScalar()!;
                    }

                    var micros = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
                    insert.Transaction = transaction;
                    foreach (var e in events)
                    {
                        p[0].Value = ++head;
                        p[1].Value = stream;
                        p[2].Value = ++version;
                        p[3].Value = e.EventId;
                        p[4].Value = e.Type;
                        p[5].Value = e.Data.ToByteArray();
                        p[6].Value = micros;
                        p[7].Value = e.Metadata.ToByteArray();
                        insert.ExecuteNonQuery();
                    }

                    versions[stream] = version;
                    inTransaction += events.Count;
                    if (inTransaction >= 50_000)
                    {
                        transaction.Commit();
                        transaction.Dispose();
                        transaction = connection.BeginTransaction();
                        inTransaction = 0;
                    }
                }

                transaction.Commit();
                transaction.Dispose();
                using var checkpoint = connection.CreateCommand();
                checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                checkpoint.ExecuteNonQuery();
            }

            await using var store = new SqliteEventStore(path, service);
            var last = store.HeadPosition;
            await store.SetCheckpointAsync(EventRelay.CheckpointName, last); // nothing generated is published
            return new Generated(path, last, copies, prefix);
        }

        static readonly Regex DecisionId = new("(?<=^|/)" + TemplateDecision + "$", RegexOptions.Compiled);
        static readonly Regex OperationId = new("(?<=^|/)" + TemplateOperation + "$", RegexOptions.Compiled | RegexOptions.IgnoreCase);

        /// <summary>A copy of a template stream with the decision's and the operation's ids and names numbered <paramref name="k"/>.</summary>
        static List<NewEvent> Renamed(IReadOnlyList<EventRecord> template, int k)
        {
            var n = k.ToString(CultureInfo.InvariantCulture);
            var events = new List<NewEvent>(template.Count);
            foreach (var record in template)
            {
                var message = Message(record);
                RewriteStrings(message, value =>
                {
                    value = DecisionId.Replace(value, "g-" + n);
                    return OperationId.Replace(value, m => (char.IsUpper(m.Value[0]) ? "G" : "g") + n);
                });
                events.Add(new NewEvent(Guid.NewGuid().ToString(), record.Type, message.ToByteString(), record.Metadata));
            }

            return events;
        }

        readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);

        /// <summary>The observer template (granted, ended) on the next non-member state, each period two days after its last.</summary>
        (string Stream, List<NewEvent> Events) Observed(int k)
        {
            var states = SuiteBench.NonMembers;
            var state = states[1 + (k % (states.Length - 1))];
            var version = _versions.GetValueOrDefault(state);
            var start = new DateOnly(2031, 1, 1).AddDays((int)(2 * (version / Observer.Count)));
            var events = new List<NewEvent>();
            for (var i = 0; i < Observer.Count; i++)
            {
                var message = Message(Observer[i]);
                var day = start.AddDays(i < Observer.Count / 2 ? 0 : 1);
                Rewrite(message, state, day, version + i + 1);
                var metadata = Observer[i].Metadata.Clone();
                metadata.EffectiveTime = day.ToEffectiveTime();
                events.Add(new NewEvent(Guid.NewGuid().ToString(), Observer[i].Type, message.ToByteString(), metadata));
            }

            _versions[state] = version + Observer.Count;
            return ("member-" + state, events);
        }

        /// <summary>The party, every date and the stream version of a membership event (nested messages too).</summary>
        static void Rewrite(IMessage message, string state, DateOnly day, long version)
        {
            foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
            {
                if (field.IsRepeated || field.IsMap || Unset(message, field))
                {
                    continue;
                }

                var value = field.Accessor.GetValue(message);
                if (field.Name == "state" && value is string { Length: > 0 })
                {
                    field.Accessor.SetValue(message, state);
                }
                else if (field.Name == "stream_version" && value is long and not 0)
                {
                    field.Accessor.SetValue(message, version);
                }
                else if (value is Date)
                {
                    field.Accessor.SetValue(message, Date.From(day));
                }
                else if (value is IMessage nested)
                {
                    Rewrite(nested, state, day, version);
                }
            }
        }

        /// <summary>Every string of the message, its repeated fields and nested messages, through <paramref name="rename"/>.</summary>
        static void RewriteStrings(IMessage message, Func<string, string> rename)
        {
            foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
            {
                if (field.IsMap || Unset(message, field))
                {
                    continue;
                }

                var value = field.Accessor.GetValue(message);
                if (field.IsRepeated)
                {
                    if (value is RepeatedField<string> strings)
                    {
                        for (var i = 0; i < strings.Count; i++)
                        {
                            strings[i] = rename(strings[i]);
                        }
                    }
                    else if (value is System.Collections.IEnumerable items)
                    {
                        foreach (var item in items)
                        {
                            if (item is IMessage nested)
                            {
                                RewriteStrings(nested, rename);
                            }
                        }
                    }
                }
                else if (value is string text && rename(text) is var renamed && !string.Equals(renamed, text, StringComparison.Ordinal))
                {
                    field.Accessor.SetValue(message, renamed);
                }
                else if (value is IMessage nested)
                {
                    RewriteStrings(nested, rename);
                }
            }
        }

        /// <summary>A field of a oneof (or a proto3 optional) that is not the one set: setting it would change the message.</summary>
        static bool Unset(IMessage message, FieldDescriptor field) =>
            field.ContainingOneof is { } oneof && oneof.Accessor.GetCaseFieldDescriptor(message) != field;

        static IMessage Message(EventRecord record) => Descriptor(record.Type).Parser.ParseFrom(record.Data);

        static MessageDescriptor Descriptor(string type) => EventTypes.Registry.Find(type) ?? throw new InvalidOperationException("unknown event type " + type);
    }
}
