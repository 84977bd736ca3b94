using System.CommandLine;
using System.Globalization;
using System.Threading.Channels;
using Csto.Ctl.Common;
using Csto.EventLog.V1;
using Google.Protobuf;

namespace Csto.Ctl.Log;

/// <summary>log tail|export|stats|republish and projections rebuild.</summary>
public static class LogCommands
{
    static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    public static Command Build(CtlContext ctx)
    {
        var log = new Command("log", "read, export and republish the services' event logs");
        log.Subcommands.Add(Tail(ctx));
        log.Subcommands.Add(Export(ctx));
        log.Subcommands.Add(Stats(ctx));
        log.Subcommands.Add(Republish(ctx));
        return log;
    }

    sealed record Filters(Option<string> Service, Option<long> From, Option<long?> To, Option<string?> Prefix, Option<string[]> Types)
    {
        public static Filters Add(Command command, bool allowAll = true)
        {
            var f = new Filters(
                new Option<string>("--service") { Description = allowAll ? "membership, bodies, operations or all" : "membership, bodies or operations", Required = true },
                new Option<long>("--from") { Description = "first position (inclusive)", DefaultValueFactory = _ => 1 },
                new Option<long?>("--to") { Description = "last position (inclusive)" },
                new Option<string?>("--prefix") { Description = "stream id prefix, e.g. member-" },
                new Option<string[]>("--type") { Description = "event type (protobuf full name); repeatable", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [] });
            command.Options.Add(f.Service);
            command.Options.Add(f.From);
            command.Options.Add(f.To);
            command.Options.Add(f.Prefix);
            command.Options.Add(f.Types);
            return f;
        }

        public LogQuery Query(ParseResult p, bool follow) => new(p.GetValue(From), p.GetValue(To), p.GetValue(Prefix), p.GetValue(Types) ?? [], follow);
    }

    static Command Tail(CtlContext ctx)
    {
        var command = new Command("tail", "print records (human lines, or JSON lines with --json); --follow keeps reading new ones");
        var filters = Filters.Add(command);
        var follow = new Option<bool>("--follow") { Description = "keep the stream open and print new records as they are appended" };
        command.Options.Add(follow);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var names = ServiceDirectory.Expand(p.GetValue(filters.Service)!);
            var json = p.GetValue(Cli.Json);
            await foreach (var record in ReadAsync(new LogReader(services), names, filters.Query(p, p.GetValue(follow)), ct))
            {
                await ctx.Out.WriteLineAsync(json ? Formatter.Format(record) : Human(record));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Export(CtlContext ctx)
    {
        var command = new Command("export", "write records as JSON lines (protobuf JSON mapping of EventRecord, one a line); --service all merges the three logs in one deterministic order");
        var filters = Filters.Add(command);
        var output = new Option<string?>("--out") { Description = "file to write (default: standard output)" };
        command.Options.Add(output);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var names = ServiceDirectory.Expand(p.GetValue(filters.Service)!);
            var path = p.GetValue(output);
            var writer = path is null ? ctx.Out : new StreamWriter(path, false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
            long count = 0;
            try
            {
                await foreach (var record in new LogReader(services).MergeAsync(names, filters.Query(p, false), ct))
                {
                    await writer.WriteAsync(Formatter.Format(record));
                    await writer.WriteAsync('\n');
                    count++;
                }
            }
            finally
            {
                if (path is not null)
                {
                    await writer.DisposeAsync();
                }
            }

            if (path is not null)
            {
                await ctx.Error.WriteLineAsync($"exported {count} records to {path}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Stats(CtlContext ctx)
    {
        var command = new Command("stats", "head, count, relay lag, consumers, projections and records per type");
        var service = new Option<string>("--service") { Description = "membership, bodies, operations or all", Required = true };
        command.Options.Add(service);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var json = p.GetValue(Cli.Json);
            var summary = new Table("service", "head", "events", "relay checkpoint", "lag", "relay", "consumers (processed)", "projections (checkpoint)", "database connections");
            var types = new Table("service", "type", "records");
            foreach (var name in ServiceDirectory.Expand(p.GetValue(service)!))
            {
                var info = await services.CallAsync(name, c => new EventLogService.EventLogServiceClient(c).GetLogInfoAsync(new GetLogInfoRequest(), cancellationToken: ct).ResponseAsync);
                if (json)
                {
                    await ctx.Out.WriteLineAsync(Formatter.Format(info));
                    continue;
                }

                summary.Add(name, info.HeadPosition, info.EventCount, info.Relay.Checkpoint, info.Relay.Lag, !info.Relay.HoldsLease ? "standby (another instance holds the relay lease)" : info.Relay.Running ? "running" : "stopped: " + info.Relay.LastError,
                    string.Join(", ", info.Consumers.Select(c => $"{c.Name} ({c.ProcessedCount})")),
                    string.Join(", ", info.Projections.Select(x => $"{x.Name} ({x.Checkpoint})")),
                    info.DatabasePool is { } pool ? $"{pool.InUse} in use, {pool.Open} open of {pool.MaxSize}; {pool.Waiting} waiting, {pool.Timeouts} refused" : "(SQLite)");
                var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
                await foreach (var r in new LogReader(services).ReadAsync(name, new LogQuery(1, null, null, [], false), ct))
                {
                    counts[r.Type] = counts.GetValueOrDefault(r.Type) + 1;
                }

                foreach (var (type, n) in counts)
                {
                    types.Add(name, type, n);
                }
            }

            if (!json)
            {
                await ctx.Out.WriteLineAsync(summary.ToString());
                await ctx.Out.WriteLineAsync(types.ToString());
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Republish(CtlContext ctx)
    {
        var command = new Command("republish", "operator: publish a range of a service's log to the broker again (consumers de-duplicate)");
        var service = new Option<string>("--service") { Description = "membership, bodies or operations", Required = true };
        var from = new Option<long>("--from") { Description = "first position", Required = true };
        var to = new Option<long>("--to") { Description = "last position", Required = true };
        command.Options.Add(service);
        command.Options.Add(from);
        command.Options.Add(to);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var name = p.GetValue(service)!;
            _ = ServiceDirectory.Expand(name).Single();
            var response = await services.CallAsync(name, c => new EventLogService.EventLogServiceClient(c)
                .RepublishAsync(new RepublishRequest { FromPosition = p.GetValue(from), ToPosition = p.GetValue(to) }, cancellationToken: ct).ResponseAsync);
            await ctx.Out.WriteLineAsync(p.GetValue(Cli.Json) ? Formatter.Format(response) : $"{name}: republished {response.PublishedCount} records");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command BuildProjections(CtlContext ctx)
    {
        var projections = new Command("projections", "read models derived from the logs");
        var rebuild = new Command("rebuild", "operator: rebuild projections from the log into fresh tables and swap them in; --verify fails when the live and rebuilt hashes differ");
        var service = new Option<string>("--service") { Description = "membership, bodies, operations or all", Required = true };
        var verify = new Option<bool>("--verify") { Description = "exit with code 5 when a rebuilt hash differs from the live one" };
        var names = new Option<string[]>("--name") { Description = "projection name; repeatable (default: all)", DefaultValueFactory = _ => [] };
        rebuild.Options.Add(service);
        rebuild.Options.Add(verify);
        rebuild.Options.Add(names);
        rebuild.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var table = new Table("service", "projection", "position", "live hash", "rebuilt hash", "agree");
            var allAgree = true;
            foreach (var name in ServiceDirectory.Expand(p.GetValue(service)!))
            {
                var request = new RebuildProjectionsRequest();
                request.Names.AddRange(p.GetValue(names) ?? []);
                var response = await services.CallAsync(name, c => new EventLogService.EventLogServiceClient(c).RebuildProjectionsAsync(request, cancellationToken: ct).ResponseAsync);
                foreach (var r in response.Results)
                {
                    allAgree &= r.HashesMatch;
                    table.Add(name, r.Name, r.Position, r.LiveHash, r.RebuiltHash, r.HashesMatch ? "yes" : "NO");
                }

                if (p.GetValue(Cli.Json))
                {
                    await ctx.Out.WriteLineAsync(Formatter.Format(response));
                }
            }

            if (!p.GetValue(Cli.Json))
            {
                await ctx.Out.WriteLineAsync(table.ToString());
                await ctx.Out.WriteLineAsync(allAgree ? "all rebuilt projections agree with the live ones" : "MISMATCH: a live projection differed from the log's replay (the rebuilt tables are now live)");
            }

            return p.GetValue(verify) && !allAgree ? ExitCodes.Mismatch : ExitCodes.Ok;
        });
        projections.Subcommands.Add(rebuild);
        return projections;
    }

    static async IAsyncEnumerable<EventRecord> ReadAsync(LogReader reader, IReadOnlyList<string> names, LogQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (!query.Follow || names.Count == 1)
        {
            await foreach (var r in reader.MergeAsync(names, query with { Follow = query.Follow && names.Count == 1 }, ct))
            {
                yield return r;
            }

            yield break;
        }

        // following several logs: print records as they come from each
        var channel = Channel.CreateUnbounded<EventRecord>();
        var pumps = names.Select(name => Task.Run(async () =>
        {
            await foreach (var r in reader.ReadAsync(name, query, ct))
            {
                await channel.Writer.WriteAsync(r, ct);
            }
        }, ct)).ToArray();
        _ = Task.WhenAll(pumps).ContinueWith(t => channel.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
        await foreach (var r in channel.Reader.ReadAllAsync(ct))
        {
            yield return r;
        }
    }

    /// <summary>One line per record: where, when, what, effective date, who, correlation, and the decoded event.</summary>
    public static string Human(EventRecord r)
    {
        var m = r.Metadata ?? new EventMetadata();
        var effective = m.EffectiveTime is null ? "-" : m.EffectiveTime.ToDateTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var actor = m.Actor is null ? "-" : string.Join('/', new[] { m.Actor.Subject, m.Actor.Role, m.Actor.State }.Where(s => !string.IsNullOrEmpty(s)));
        var recorded = r.RecordedAt?.ToDateTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) ?? "-";
        var body = EventTypes.Describe(r.Type, r.Data);
        if (body.Length > 160)
        {
            body = body[..157] + "...";
        }

        return $"{r.SourceService,-10} #{r.Position,-6} {recorded} {r.StreamId}@{r.StreamVersion} {EventTypes.Short(r.Type)} effective={effective} actor={actor} corr={Prefix(m.CorrelationId)} cause={Prefix(m.CausationId)} {body}";
    }

    static string Prefix(string id) => string.IsNullOrEmpty(id) ? "-" : id.Length > 12 ? id[..12] : id;
}
