using System.Diagnostics;
using System.Globalization;
using System.Text;
using Csto.Benchmarks;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Hosting;
using Csto.EventLog.Projections;
using Csto.EventLog.Relay;
using Csto.EventLog.V1;
using Csto.EventLog.Wire;
using Csto.Membership.V1;
using Csto.Testing;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

// Usage: dotnet run -c Release --project tests/Csto.Benchmarks [-- --quick] [-- --sizes 10000,1000000] [-- --10m] [-- --only appends,read,stream,relay,postgres,instances,relay-cluster,suite]
// (suite: the deployed suite as separate processes, deploy/bench.sh; its parts alone: suite:commands, suite:crossing, suite:volume;
// suite:commands of some services only: --writes membership,bodies,operations, e.g. to rerun one write five times)
// (postgres and instances are not in the default set: they need Debian's postgresql, or CSTO_POSTGRES_CONNECTION;
// relay-cluster is not either: it starts a three-node RabbitMQ cluster, or uses CSTO_RABBITMQ_CLUSTER_URLS)
// A plain Stopwatch harness: one warm-up run per scenario, then `repeats` measured runs, median reported.
var quick = args.Contains("--quick");
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',') ?? ["appends", "read", "stream", "relay"];
var cfg = quick ? Config.Quick : Config.Full;
if (args.Contains("--10m"))
{
    // the 10-million-event logs (suite:volume): about an hour more here, most of it generating the logs
    cfg = cfg with { VolumeSizes = [.. cfg.VolumeSizes, 10_000_000] };
}

if (args.SkipWhile(a => a != "--sizes").Skip(1).FirstOrDefault() is { } sizes)
{
    // suite:volume at these log sizes only, e.g. --sizes 10000,1000000 (the first is the baseline of "flat")
    cfg = cfg with { VolumeSizes = [.. sizes.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] };
}

if (args.SkipWhile(a => a != "--writes").Skip(1).FirstOrDefault() is { } writes)
{
    var services = cfg.Writes; // all three by default
    var chosen = writes.Split(',');
    if (chosen.FirstOrDefault(w => !services.Contains(w)) is { } unknown)
    {
        Console.Error.WriteLine($"--writes: '{unknown}' is not a service; give some of {string.Join(',', services)}");
        Environment.Exit(2);
    }

    cfg = cfg with { Writes = chosen };
}

var table = new List<Row>();
var log = Console.Error;
log.WriteLine($"csto benchmarks ({(quick ? "quick" : "full")}); load before: {Machine.Uptime()}");

if (only.Contains("appends"))
{
    await AppendBench.RunAsync(cfg, table, log);
}

if (only.Contains("read") || only.Contains("stream"))
{
    await ReadBench.RunAsync(cfg, table, log, only.Contains("read"), only.Contains("stream"));
}

if (only.Contains("relay"))
{
    await RelayBench.RunAsync(cfg, table, log);
}

if (only.Contains("postgres"))
{
    await PostgresBench.RunAsync(cfg, table, log);
}

if (only.Contains("instances"))
{
    await InstancesBench.RunAsync(cfg, table, log);
}

if (only.Contains("suite") || only.Any(o => o.StartsWith("suite:", StringComparison.Ordinal)))
{
    // suite = every part; suite:commands,suite:crossing,suite:volume = some
    string[] parts = only.Contains("suite") ? ["commands", "crossing", "volume"] : [.. only.Where(o => o.StartsWith("suite:", StringComparison.Ordinal)).Select(o => o[6..])];
    await SuiteBench.RunAsync(cfg, table, log, parts);
}

if (only.Contains("relay-cluster"))
{
    await RelayClusterBench.RunAsync(cfg, table, log);
}

Console.WriteLine();
Console.WriteLine($"CstoServices event log benchmarks — {(quick ? "QUICK (smaller sizes, 1 run: smoke only)" : $"median of {cfg.Repeats} runs after a warm-up")}");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; load at end: {Machine.Uptime()}");
Console.WriteLine(Row.Render(table));

namespace Csto.Benchmarks
{
    sealed record Config(int Repeats, double AppendSeconds, int RawPerRowRows, int RawBatchRows, int LogEvents, int RelayEvents, double InstanceSeconds, int ClusterRelayEvents,
        double SuiteSeconds, double CrossingSeconds, int[] VolumeSizes)
    {
        /// <summary>The services whose writes suite:commands measures (<c>--writes</c>); all three by default.</summary>
        public IReadOnlyCollection<string> Writes { get; init; } = ["membership", "bodies", "operations"];

        public static readonly Config Full = new(3, 3.0, 1500, 200_000, 1_000_000, 50_000, 5.0, 20_000, 3.0, 5.0, [10_000, 100_000, 1_000_000]);
        public static readonly Config Quick = new(1, 1.0, 300, 50_000, 200_000, 50_000, 2.0, 5_000, 1.0, 2.0, [10_000, 100_000]);
    }

    /// <summary>One line of the table: the log's figure, its baseline from the same run, the ratio and the target.</summary>
    sealed record Row(string Figure, string Value, string Baseline, string Ratio, string Target, string Verdict)
    {
        public static string Render(IReadOnlyList<Row> rows)
        {
            string[] head = ["figure", "csto (median)", "baseline (median, same run)", "ratio", "target", "met"];
            var all = rows.Select(r => new[] { r.Figure, r.Value, r.Baseline, r.Ratio, r.Target, r.Verdict }).Prepend(head).ToList();
            var widths = Enumerable.Range(0, head.Length).Select(i => all.Max(r => r[i].Length)).ToArray();
            var sb = new StringBuilder();
            for (var n = 0; n < all.Count; n++)
            {
                sb.Append("| ").AppendJoin(" | ", all[n].Select((c, i) => c.PadRight(widths[i]))).AppendLine(" |");
                if (n == 0)
                {
                    sb.Append("| ").AppendJoin(" | ", widths.Select(w => new string('-', w))).AppendLine(" |");
                }
            }

            return sb.ToString();
        }
    }

    static class Machine
    {
        public static string Uptime()
        {
            try
            {
                var parts = File.ReadAllText("/proc/loadavg").Split(' ');
                return $"load average {parts[0]}, {parts[1]}, {parts[2]}";
            }
            catch (IOException)
            {
                return "load unknown";
            }
        }

        public static double Median(IEnumerable<double> values)
        {
            var v = values.Order().ToArray();
            return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        }

        public static string Rate(double perSecond) => perSecond >= 10_000
            ? (perSecond / 1000).ToString("#,0", CultureInfo.InvariantCulture) + "k/s"
            : perSecond.ToString("#,0", CultureInfo.InvariantCulture) + "/s";

        public static string Pct(double ratio) => (ratio * 100).ToString("0", CultureInfo.InvariantCulture) + " %";

        public static async Task<double> MedianOfAsync(Config cfg, TextWriter log, string name, Func<Task<double>> run, bool warmUp = true)
        {
            if (warmUp)
            {
                await run();
            }

            var results = new List<double>();
            for (var i = 0; i < cfg.Repeats; i++)
            {
                results.Add(await run());
            }

            log.WriteLine($"  {name}: runs {string.Join(", ", results.Select(r => r.ToString("#,0.##", CultureInfo.InvariantCulture)))} -> median {Median(results).ToString("#,0.##", CultureInfo.InvariantCulture)}  ({Uptime()})");
            return Median(results);
        }
    }

    /// <summary>The events every scenario writes: a real membership event with realistic metadata.</summary>
    static class Sample
    {
        public static NewEvent Event(int i) => NewEvent.From(
            new MemberStatusChanged
            {
                State = States[i % States.Length],
                OldStatus = MemberStatus.Member,
                NewStatus = MemberStatus.Suspended,
                StreamVersion = i,
                EffectiveDate = new Date { Year = 2000 + (i % 25), Month = 1 + (i % 12), Day = 1 + (i % 28) },
            },
            new EventMetadata
            {
                CorrelationId = Guid.NewGuid().ToString(),
                CausationId = "decision-" + (i % 977).ToString(CultureInfo.InvariantCulture),
                Actor = new Actor { Subject = "bench", Role = "operator", State = "KAZ" },
                EffectiveTime = Dates.ToEffectiveTime(new DateOnly(2012, 12, 19)),
            });

        static readonly string[] States = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"];

        /// <summary>Fills a log quickly: appends of 1000 events each, spread over 100 streams.</summary>
        public static async Task FillAsync(SqliteEventStore store, int count)
        {
            const int PerAppend = 1000;
            var versions = new long[100];
            var tasks = new List<Task>();
            for (var start = 0; start < count; start += PerAppend)
            {
                var n = Math.Min(PerAppend, count - start);
                var events = Enumerable.Range(start, n).Select(Event).ToArray();
                var stream = start / PerAppend % versions.Length;
                tasks.Add(store.AppendAsync(new AppendRequest("member-" + stream.ToString(CultureInfo.InvariantCulture), ExpectedVersion.Any, events)));
                if (tasks.Count == 16)
                {
                    await Task.WhenAll(tasks);
                    tasks.Clear();
                }
            }

            await Task.WhenAll(tasks);
        }
    }

    static class AppendBench
    {
        public static async Task RunAsync(Config cfg, List<Row> table, TextWriter log)
        {
            log.WriteLine("1. durable appends (synchronous=FULL, WAL, temp files)");
            var perRow = await Machine.MedianOfAsync(cfg, log, "raw SQLite, one transaction per row", () => RawAsync(cfg.RawPerRowRows, perRowTransaction: true));
            var batched = await Machine.MedianOfAsync(cfg, log, "raw SQLite, all rows in one transaction", () => RawAsync(cfg.RawBatchRows, perRowTransaction: false));
            foreach (var appenders in new[] { 1, 16, 64 })
            {
                var rate = await Machine.MedianOfAsync(cfg, log, $"SqliteEventStore, {appenders} appenders", () => StoreAsync(appenders, cfg.AppendSeconds));
                table.Add(new Row($"appends/s, {appenders} appender{(appenders > 1 ? "s" : "")}", Machine.Rate(rate), "raw tx/row " + Machine.Rate(perRow), Machine.Pct(rate / perRow) + " of tx/row", "", ""));
                var target = appenders == 64;
                table.Add(new Row("", "", "raw batched " + Machine.Rate(batched), Machine.Pct(rate / batched) + " of batched", target ? ">= 30 % of batched" : "-", target ? (rate / batched >= 0.30 ? "yes" : "NO") : "-"));
            }
        }

        /// <summary>Appenders each append one event at a time to their own stream (with its expected version) for a fixed time.</summary>
        static async Task<double> StoreAsync(int appenders, double seconds)
        {
            using var dir = new TempDir();
            await using var store = new SqliteEventStore(Path.Combine(dir.Path, "log.db"), "bench");
            var events = Enumerable.Range(0, 4096).Select(Sample.Event).ToArray();
            long done = 0;
            var sw = Stopwatch.StartNew();
            var deadline = TimeSpan.FromSeconds(seconds);
            await Task.WhenAll(Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
            {
                var stream = "member-" + a.ToString(CultureInfo.InvariantCulture);
                for (long version = 0; sw.Elapsed < deadline; version++)
                {
                    // a fresh event id per append (the same id again would be an idempotent no-op)
                    var template = events[(int)(version % events.Length)];
                    var e = template with { EventId = Guid.NewGuid().ToString() };
                    await store.AppendAsync(new AppendRequest(stream, version, [e]));
                    Interlocked.Increment(ref done);
                }
            })));
            return done / sw.Elapsed.TotalSeconds;
        }

        /// <summary>
        /// The floor under the store: the same schema and pragmas (the file is created by the store itself),
        /// one prepared INSERT, rows prepared in advance.
        /// </summary>
        static async Task<double> RawAsync(int rows, bool perRowTransaction)
        {
            using var dir = new TempDir();
            var path = Path.Combine(dir.Path, "raw.db");
            await (new SqliteEventStore(path, "bench")).DisposeAsync();
            var prepared = Enumerable.Range(0, rows).Select(i =>
            {
                var e = Sample.Event(i);
                return (e.EventId, e.Type, Data: e.Data.ToByteArray(), Meta: e.Metadata.ToByteArray());
            }).ToArray();
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            connection.Open();
            Exec(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO events(position, stream_id, stream_version, event_id, type, data, recorded_at, metadata) VALUES ($p, $s, $v, $id, $t, $d, $at, $m)";
            var p = insert.Parameters.Add("$p", SqliteType.Integer);
            var s = insert.Parameters.Add("$s", SqliteType.Text);
            var v = insert.Parameters.Add("$v", SqliteType.Integer);
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var t = insert.Parameters.Add("$t", SqliteType.Text);
            var d = insert.Parameters.Add("$d", SqliteType.Blob);
            var at = insert.Parameters.Add("$at", SqliteType.Integer);
            var m = insert.Parameters.Add("$m", SqliteType.Blob);
            insert.Prepare();
            var sw = Stopwatch.StartNew();
            SqliteTransaction? tx = perRowTransaction ? null : connection.BeginTransaction(deferred: false);
            for (var i = 0; i < rows; i++)
            {
                if (perRowTransaction)
                {
                    tx = connection.BeginTransaction(deferred: false);
                }

                insert.Transaction = tx;
                p.Value = i + 1;
                s.Value = "member-" + (i % 64).ToString(CultureInfo.InvariantCulture);
                v.Value = i / 64 + 1;
                id.Value = prepared[i].EventId;
                t.Value = prepared[i].Type;
                d.Value = prepared[i].Data;
                at.Value = 1_700_000_000_000_000L + i;
                m.Value = prepared[i].Meta;
                insert.ExecuteNonQuery();
                if (perRowTransaction)
                {
                    tx!.Commit();
                    tx.Dispose();
                }
            }

            if (!perRowTransaction)
            {
                tx!.Commit();
                tx.Dispose();
            }

            return rows / sw.Elapsed.TotalSeconds;
        }

        public static void Exec(SqliteConnection c, string sql)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }
    }

    static class ReadBench
    {
        public static async Task RunAsync(Config cfg, List<Row> table, TextWriter log, bool read, bool stream)
        {
            using var dir = new TempDir();
            var name = "bench";
            var path = Path.Combine(dir.Path, name + ".db");
            var fill = Stopwatch.StartNew();
            long head;
            await using (var store = new SqliteEventStore(path, name))
            {
                await Sample.FillAsync(store, cfg.LogEvents);
                head = store.HeadPosition;
                log.WriteLine($"prepared a log of {head:#,0} events in {fill.Elapsed.TotalSeconds:0.0} s");
                var raw = await Machine.MedianOfAsync(cfg, log, "raw SQLite sequential read, events/s", () => Task.FromResult(RawRead(store.ConnectionString, head)));
                if (read)
                {
                    log.WriteLine("2. read-all");
                    var rate = await Machine.MedianOfAsync(cfg, log, "SqliteEventStore.ReadAllAsync (batches of 1000), events/s", () => StoreReadAsync(store, head, 1000));
                    table.Add(new Row("read-all events/s (ReadAllAsync, 1000/batch)", Machine.Rate(rate), "raw sequential read " + Machine.Rate(raw), Machine.Pct(rate / raw), ">= 70 %", rate / raw >= 0.70 ? "yes" : "NO"));
                }

                if (!stream)
                {
                    return;
                }

                // the host must serve the read alone: relay and projections start at the head
                await store.SetCheckpointAsync(EventRelay.CheckpointName, head);
                await store.SetCheckpointAsync(ProjectionRunner.CheckpointName(new StreamsProjection()), head);
                log.WriteLine("3. StreamEvents over loopback gRPC");
                var rawSeconds = head / raw;
                await using var broker = new RabbitMqFixture();
                await broker.InitializeAsync();
                try
                {
                    var url = await broker.NewVirtualHostUrlAsync();
                    await store.DisposeAsync();
                    await using var host = await ServiceHost.StartAsync(name, url, dir.Path, b => b.AddEventLog(name), app => app.MapEventLog());
                    foreach (var batch in new[] { 0, 5000 })
                    {
                        Breakdown(host, head, batch == 0 ? 500 : batch, log);
                        var seconds = await Machine.MedianOfAsync(cfg, log, $"StreamEvents max_batch_size={batch}, seconds for {head:#,0}", () => StreamAsync(host, head, batch));
                        var per1M = seconds * 1_000_000 / head;
                        table.Add(new Row(
                            $"StreamEvents {head:#,0} events, batch {(batch == 0 ? "default" : batch.ToString(CultureInfo.InvariantCulture))}",
                            $"{seconds:0.00} s ({Machine.Rate(head / seconds)})",
                            $"raw read of the same {rawSeconds:0.00} s",
                            $"{Machine.Pct(rawSeconds / seconds)} of raw speed",
                            "1M in < 5 s",
                            (per1M < 5 ? "yes" : "NO") + (head == 1_000_000 ? "" : $" ({per1M:0.0} s/1M extrapolated)")));
                    }
                }
                finally
                {
                    await broker.DisposeAsync();
                }
            }
        }

        /// <summary>
        /// Where a StreamEvents second goes, in-process and without the network: the store's read, the server's
        /// serialization of each EventBatch, the client's parse. Logged, not in the table.
        /// </summary>
        static void Breakdown(ServiceHost host, long head, int batch, TextWriter log)
        {
            var store = host.Services.GetRequiredService<SqliteEventStore>();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            TimeSpan read = default, write = default, parse = default;
            long position = 1, bytes = 0;
            while (position <= head)
            {
                var sw = Stopwatch.StartNew();
                var slice = store.ReadAllAsync(position, head, ReadFilter.All, batch).GetAwaiter().GetResult();
                read += sw.Elapsed;
                sw.Restart();
                var message = new StreamEventsResponse { Events = new EventBatch() };
                message.Events.Records.AddRange(slice.Records);
                var payload = message.ToByteArray();
                write += sw.Elapsed;
                sw.Restart();
                _ = StreamEventsResponse.Parser.ParseFrom(payload);
                parse += sw.Elapsed;
                bytes += payload.Length;
                position = slice.ScannedTo + 1;
            }

            // what the gRPC endpoint does instead of the read and the serialization: the store encodes from its columns
            var encodedWatch = Stopwatch.StartNew();
            position = 1;
            while (position <= head)
            {
                var slice = store.ReadAllEncodedAsync(position, head, ReadFilter.All, batch).GetAwaiter().GetResult();
                slice.Events?.Dispose();
                position = slice.ScannedTo + 1;
            }

            log.WriteLine($"    breakdown, batch {batch}: store read {read.TotalSeconds:0.00} s, serialize {write.TotalSeconds:0.00} s, client parse {parse.TotalSeconds:0.00} s, {bytes / head} bytes/record on the wire; encoded read (read and serialize in one) {encodedWatch.Elapsed.TotalSeconds:0.00} s; cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.00} s");
        }

        static double RawRead(string connectionString, long head)
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT position, stream_id, stream_version, event_id, type, data, recorded_at, metadata FROM events ORDER BY position";
            var sw = Stopwatch.StartNew();
            long n = 0, check = 0;
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    // every column materialized (strings and blobs), no EventRecord
                    check += reader.GetInt64(0) + reader.GetString(1).Length + reader.GetInt64(2) + reader.GetString(3).Length + reader.GetString(4).Length
                        + ((byte[])reader.GetValue(5)).Length + reader.GetInt64(6) + ((byte[])reader.GetValue(7)).Length;
                    n++;
                }
            }

            if (n != head || check == 0)
            {
                throw new InvalidOperationException($"raw read saw {n} rows, expected {head}");
            }

            return n / sw.Elapsed.TotalSeconds;
        }

        static async Task<double> StoreReadAsync(SqliteEventStore store, long head, int batch)
        {
            var sw = Stopwatch.StartNew();
            long n = 0, position = 1;
            while (position <= head)
            {
                var slice = await store.ReadAllAsync(position, head, ReadFilter.All, batch);
                n += slice.Records.Count;
                position = slice.ScannedTo + 1;
            }

            if (n != head)
            {
                throw new InvalidOperationException($"ReadAllAsync saw {n} records, expected {head}");
            }

            return n / sw.Elapsed.TotalSeconds;
        }

        static async Task<double> StreamAsync(ServiceHost host, long head, int batch)
        {
            var client = new EventLogService.EventLogServiceClient(host.Channel);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            using var call = client.StreamEvents(new StreamEventsRequest { FromPosition = 1, ToPosition = head, MaxBatchSize = batch });
            long n = 0, last = 0;
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var message = call.ResponseStream.Current;
                if (message.Events is { } events)
                {
                    n += events.Records.Count;
                    last = events.Records[^1].Position;
                }
            }

            var seconds = sw.Elapsed.TotalSeconds;
            Console.Error.WriteLine($"    StreamEvents batch {batch}: {seconds:0.00} s wall, {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.00} s cpu (server + client, one process)");
            if (n != head || last != head)
            {
                throw new InvalidOperationException($"StreamEvents delivered {n} records up to {last}, expected {head}");
            }

            return seconds;
        }
    }

    static class RelayBench
    {
        const string Queue = "bench-relay";

        public static async Task RunAsync(Config cfg, List<Row> table, TextWriter log)
        {
            log.WriteLine("4. relay to RabbitMQ");
            await using var broker = new RabbitMqFixture();
            await broker.InitializeAsync();
            try
            {
                log.WriteLine($"  broker: {broker.Kind}");
                using var dir = new TempDir();
                var name = "bench";
                var (template, records) = await PrepareAsync(dir.Path, name, cfg.RelayEvents);
                var run = 0;
                var relay = await Machine.MedianOfAsync(cfg, log, $"EventRelay (MassTransit), events/s for {records.Count:#,0}", () => RelayAsync(broker.NewVirtualHostUrlAsync, dir.Path, template, name, records.Count, ++run, log));
                var raw = await Machine.MedianOfAsync(cfg, log, "raw RabbitMQ.Client 7, confirms, 1000 in flight, events/s", () => RawAsync(broker, records));
                table.Add(new Row($"relay events/s to RabbitMQ ({records.Count:#,0}, incl. host start)", Machine.Rate(relay), "raw RabbitMQ.Client 7 " + Machine.Rate(raw), Machine.Pct(relay / raw), ">= 50 %", relay / raw >= 0.50 ? "yes" : "NO"));
            }
            finally
            {
                await broker.DisposeAsync();
            }
        }

        /// <summary>A log of <paramref name="count"/> events (projections parked at the head), the template each run copies.</summary>
        public static async Task<(string Template, List<EventRecord> Records)> PrepareAsync(string root, string name, int count)
        {
            var template = Path.Combine(root, "template.db");
            List<EventRecord> records;
            await using (var store = new SqliteEventStore(template, name))
            {
                await Sample.FillAsync(store, count);
                await store.SetCheckpointAsync(ProjectionRunner.CheckpointName(new StreamsProjection()), store.HeadPosition);
                records = [.. (await store.ReadAllAsync(1, long.MaxValue, ReadFilter.All, int.MaxValue)).Records];
            }

            SqliteConnection.ClearAllPools();
            return (template, records);
        }

        static async Task DeclareAsync(IChannel channel, string exchange, QueueType queueType = QueueType.Classic)
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
            await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, arguments: queueType.Arguments());
            await channel.QueueBindAsync(Queue, exchange, "");
        }

        static async Task<uint> QueueDepthAsync(IChannel channel) => (await channel.QueueDeclarePassiveAsync(Queue)).MessageCount;

        /// <summary>A copy of the prepared log (relay checkpoint 0) in a fresh vhost; timed from host start until the checkpoint reaches the head.</summary>
        /// <remarks>
        /// <paramref name="newVirtualHost"/> gives one amqp URL, or a cluster's several comma-separated (the host gets them
        /// all as EventLog:RabbitMqUrl; the bench queue is declared through the first); a quorum <paramref name="queueType"/>
        /// declares the bench queue as a quorum queue and sets EventLog:QueueType=quorum for the host.
        /// </remarks>
        public static async Task<double> RelayAsync(Func<Task<string>> newVirtualHost, string root, string template, string name, int count, int run, TextWriter log, QueueType queueType = QueueType.Classic)
        {
            var url = await newVirtualHost();
            var factory = new ConnectionFactory { Uri = new Uri(url.Split(',')[0]) };
            await using var connection = await factory.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            await DeclareAsync(channel, MemberStatusChanged.Descriptor.FullName, queueType);
            var dataDir = Path.Combine(root, "run" + run.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(dataDir);
            File.Copy(template, Path.Combine(dataDir, name + ".db"));
            var sw = Stopwatch.StartNew();
            var settings = new Dictionary<string, string?> { [QueueTypes.Setting] = queueType.Name() };
            await using (var host = await ServiceHost.StartAsync(name, url, dataDir, b => b.AddEventLog(name), app => app.MapEventLog(), settings))
            {
                var started = sw.Elapsed;
                var relay = host.Services.GetRequiredService<EventRelay>();
                var deadline = TimeSpan.FromMinutes(5);
                while (relay.Checkpoint < count)
                {
                    if (sw.Elapsed > deadline)
                    {
                        throw new TimeoutException($"relay at {relay.Checkpoint} of {count} after {deadline}: {relay.LastError}");
                    }

                    await Task.Delay(2);
                }

                var elapsed = sw.Elapsed;
                log.WriteLine($"    relay run {run}: host started in {started.TotalSeconds:0.00} s, all confirmed at {elapsed.TotalSeconds:0.00} s");
                var depth = await QueueDepthAsync(channel);
                if (depth < count)
                {
                    throw new InvalidOperationException($"queue holds {depth} messages, expected {count}");
                }

                return count / elapsed.TotalSeconds;
            }
        }

        /// <summary>
        /// The same bodies and csto headers, persistent, to the same kind of exchange and queue, with publisher
        /// confirms; sent 1000 at a time and awaited as the relay does (its batch), the connection opened before timing.
        /// </summary>
        static async Task<double> RawAsync(RabbitMqFixture broker, IReadOnlyList<EventRecord> records)
        {
            var url = await broker.NewVirtualHostUrlAsync();
            var factory = new ConnectionFactory { Uri = new Uri(url) };
            await using var connection = await factory.CreateConnectionAsync();
            await using var setup = await connection.CreateChannelAsync();
            var exchange = MemberStatusChanged.Descriptor.FullName;
            await DeclareAsync(setup, exchange);
            var messages = records.Select(r => (Body: r.Data.ToByteArray(), Props: new BasicProperties
            {
                ContentType = WireHeaders.ContentType,
                Persistent = true,
                MessageId = r.EventId,
                CorrelationId = r.Metadata.CorrelationId,
                Headers = WireHeaders.From(r).ToDictionary(h => h.Key, h => (object?)h.Value),
            })).ToArray();
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
                publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null));
            var sw = Stopwatch.StartNew();
            var pending = new List<ValueTask>(1000);
            foreach (var (body, props) in messages)
            {
                pending.Add(channel.BasicPublishAsync(exchange, "", mandatory: false, props, body));
                if (pending.Count == 1000)
                {
                    foreach (var p in pending)
                    {
                        await p;
                    }

                    pending.Clear();
                }
            }

            foreach (var p in pending)
            {
                await p;
            }

            var elapsed = sw.Elapsed;
            var depth = await QueueDepthAsync(setup);
            if (depth < messages.Length)
            {
                throw new InvalidOperationException($"queue holds {depth} messages, expected {messages.Length}");
            }

            return messages.Length / elapsed.TotalSeconds;
        }
    }
}
