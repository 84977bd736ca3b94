using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Csto.Ctl.Common;
using Csto.Ctl.Log;
using Csto.EventLog.V1;
using Google.Protobuf;

namespace Csto.Ctl.Trace;

/// <summary>
/// cstoctl trace ID: from an outcome report, an operation, a decision, a session, a member or an event id,
/// follows causation (the event that caused a record, in any of the three logs) and the references inside
/// events (sessions/…, decisions/…, operations/…) and prints the chain with who did what when.
/// </summary>
public static partial class TraceCommand
{
    static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    public static Command Build(CtlContext ctx)
    {
        var command = new Command("trace", "follow causation and references across the three logs: report → operation → authorizing decision → positions → session");
        var id = new Argument<string>("id") { Description = "reports/…, operations/…, decisions/…, sessions/…, members/XXX, a stream id or an event id" };
        command.Arguments.Add(id);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var reader = new LogReader(services);
            var records = new List<EventRecord>();
            await foreach (var r in reader.MergeAsync(ServiceDirectory.Names, new LogQuery(1, null, null, [], false), ct))
            {
                records.Add(r);
            }

            var chain = Trace(records, p.GetValue(id)!);
            if (chain.Count == 0)
            {
                await ctx.Error.WriteLineAsync($"cstoctl: nothing in the logs matches '{p.GetValue(id)}'");
                return ExitCodes.NotFound;
            }

            var json = p.GetValue(Cli.Json);
            string? stream = null;
            foreach (var link in chain)
            {
                if (json)
                {
                    await ctx.Out.WriteLineAsync(Formatter.Format(link.Record));
                    continue;
                }

                // two logs may hold streams of the same id (bodies and operations each keep a roster-UZB)
                var current = link.Record.SourceService + "/" + link.Record.StreamId;
                if (current != stream)
                {
                    stream = current;
                    await ctx.Out.WriteLineAsync($"{new string(' ', link.Depth * 2)}{stream}  ({link.Why})");
                }

                await ctx.Out.WriteLineAsync($"{new string(' ', link.Depth * 2)}  {Line(link.Record)}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public sealed record Link(EventRecord Record, int Depth, string Why);

    /// <summary>The chain of streams reached from <paramref name="id"/>, breadth first, each stream's records in order.</summary>
    public static IReadOnlyList<Link> Trace(IReadOnlyList<EventRecord> records, string id)
    {
        var byEventId = records.GroupBy(r => r.EventId).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var byStream = records.GroupBy(r => (r.SourceService, r.StreamId)).ToDictionary(g => g.Key, g => g.OrderBy(r => r.StreamVersion).ToList());
        var effects = records.Where(r => !string.IsNullOrEmpty(r.Metadata?.CausationId)).ToLookup(r => r.Metadata.CausationId, StringComparer.Ordinal);
        var start = Resolve(records, byEventId, id);
        var result = new List<Link>();
        var seen = new HashSet<(string, string)>();
        var queue = new Queue<((string Service, string Stream) Key, int Depth, string Why)>();
        foreach (var key in start)
        {
            queue.Enqueue((key, 0, "asked for"));
        }

        while (queue.Count > 0)
        {
            var (key, depth, why) = queue.Dequeue();
            if (!seen.Add(key) || !byStream.TryGetValue(key, out var stream))
            {
                continue;
            }

            result.AddRange(stream.Select(r => new Link(r, depth, why)));
            foreach (var r in stream)
            {
                // causation: the event (in any log) that caused this record
                if (!string.IsNullOrEmpty(r.Metadata?.CausationId) && byEventId.TryGetValue(r.Metadata.CausationId, out var cause))
                {
                    queue.Enqueue(((cause.SourceService, cause.StreamId), depth + 1, $"caused {EventTypes.Short(r.Type)} #{r.Position} in {r.SourceService}"));
                }

                // effects: records in other streams (or logs) that this record caused
                foreach (var effect in effects[r.EventId].Where(e => e.StreamId != r.StreamId || e.SourceService != r.SourceService))
                {
                    queue.Enqueue(((effect.SourceService, effect.StreamId), depth + 1, $"{EventTypes.Short(r.Type)} #{r.Position} in {r.SourceService} caused {EventTypes.Short(effect.Type)} #{effect.Position}"));
                }

                // references inside the event: sessions/…, decisions/…, operations/…, drafts/…
                foreach (Match m in Reference().Matches(EventTypes.Describe(r.Type, r.Data)))
                {
                    var target = StreamOf(m.Groups["kind"].Value, m.Groups["id"].Value);
                    foreach (var k in byStream.Keys.Where(k => k.StreamId == target))
                    {
                        queue.Enqueue((k, depth + 1, $"named by {EventTypes.Short(r.Type)} #{r.Position} in {r.SourceService}"));
                    }
                }
            }
        }

        return result;
    }

    static IEnumerable<(string, string)> Resolve(IReadOnlyList<EventRecord> records, Dictionary<string, EventRecord> byEventId, string id)
    {
        if (byEventId.TryGetValue(id, out var record))
        {
            return [(record.SourceService, record.StreamId)];
        }

        var m = Reference().Match(id);
        var stream = m.Success && m.Index == 0 ? StreamOf(m.Groups["kind"].Value, m.Groups["id"].Value) : id;
        var direct = records.Where(r => r.StreamId == stream).Select(r => (r.SourceService, r.StreamId)).Distinct().ToList();
        if (direct.Count > 0)
        {
            return direct;
        }

        // a report or other resource named inside an event: start at the stream that names it
        return records.Where(r => EventTypes.Describe(r.Type, r.Data).Contains($"\"{id}\"", StringComparison.Ordinal))
            .Select(r => (r.SourceService, r.StreamId)).Distinct().Take(1);
    }

    static string StreamOf(string kind, string id) => kind switch
    {
        "sessions" => "session-" + id,
        "decisions" or "drafts" => "decision-" + id,
        "operations" => "operation-" + id.Split('/')[0],
        "members" => "member-" + id,
        "bodies" => "body-" + id,
        _ => id,
    };

    static string Line(EventRecord r)
    {
        var m = r.Metadata ?? new EventMetadata();
        var effective = m.EffectiveTime is null ? "" : " effective " + m.EffectiveTime.ToDateTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var actor = m.Actor is null ? "" : $" by {string.Join('/', new[] { m.Actor.Subject, m.Actor.Role, m.Actor.State }.Where(s => !string.IsNullOrEmpty(s)))}";
        var provenance = m.Provenance is { Basis: not Csto.Common.V1.Basis.Unspecified } p ? $"\n      provenance: {Provenances.Describe(p)}" : "";
        // the OpenTelemetry trace the event was written in (W3C traceparent 00-<trace id>-<span id>-<flags>): find it in the collector
        var trace = TraceId(m.Traceparent) is { } id ? $" [trace {id}]" : "";
        return $"#{r.Position} {EventTypes.Short(r.Type)}{effective}{actor}: {Summary(r)}{trace}{provenance}";
    }

    /// <summary>The trace id of a W3C traceparent, or null when there is none.</summary>
    public static string? TraceId(string? traceparent) =>
        traceparent is { Length: 55 } t && t[2] == '-' && t[35] == '-' ? t.Substring(3, 32) : null;

    /// <summary>The decoded event without the bulky parts, on one line.</summary>
    static string Summary(EventRecord r)
    {
        var text = EventTypes.Describe(r.Type, r.Data);
        try
        {
            using var doc = JsonDocument.Parse(text);
            var parts = doc.RootElement.EnumerateObject()
                .Where(p => p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True)
                .Select(p => $"{p.Name}={p.Value}")
                .Take(8);
            var s = string.Join(' ', parts);
            return s.Length > 200 ? s[..197] + "..." : s;
        }
        catch (JsonException)
        {
            return text;
        }
    }

    [GeneratedRegex("(?<kind>sessions|decisions|drafts|operations|members|bodies)/(?<id>[A-Za-z0-9_.\\-]+(/[A-Za-z0-9_.\\-]+)*)")]
    private static partial Regex Reference();
}
