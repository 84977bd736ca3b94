using Csto.EventLog.V1;

namespace Csto.Console;

/// <summary>What records caused, followed through the causation ids of the three logs.</summary>
public static class Effects
{
    /// <summary>
    /// The records caused by <paramref name="origins"/>, directly or through other effects (breadth first, in any of
    /// the logs), each with the depth at which it was reached; the origins themselves are not included.
    /// </summary>
    public static IReadOnlyList<(EventRecord Record, int Depth)> Of(IReadOnlyList<EventRecord> records, IEnumerable<EventRecord> origins, int maxDepth = 6)
    {
        ArgumentNullException.ThrowIfNull(records);
        var byCause = records.Where(r => !string.IsNullOrEmpty(r.Metadata?.CausationId)).ToLookup(r => r.Metadata.CausationId, StringComparer.Ordinal);
        var seen = new HashSet<(string, long)>(origins.Select(o => (o.SourceService, o.Position)));
        var frontier = origins.Select(o => o.EventId).ToList();
        var result = new List<(EventRecord, int)>();
        for (var depth = 1; depth <= maxDepth && frontier.Count > 0; depth++)
        {
            var next = new List<string>();
            foreach (var id in frontier)
            {
                foreach (var effect in byCause[id])
                {
                    if (seen.Add((effect.SourceService, effect.Position)))
                    {
                        result.Add((effect, depth));
                        next.Add(effect.EventId);
                    }
                }
            }

            frontier = next;
        }

        return result;
    }

    /// <summary>The records of one trace: those with the correlation id, or, given an event id, those with that event's correlation id.</summary>
    public static IReadOnlyList<EventRecord> Correlated(IReadOnlyList<EventRecord> records, string id)
    {
        ArgumentNullException.ThrowIfNull(records);
        var correlation = records.FirstOrDefault(r => r.EventId == id)?.Metadata?.CorrelationId ?? id;
        return [.. records.Where(r => r.Metadata?.CorrelationId == correlation)
            .OrderBy(r => r.RecordedAt?.ToDateTimeOffset() ?? DateTimeOffset.MinValue).ThenBy(r => r.SourceService, StringComparer.Ordinal).ThenBy(r => r.Position)];
    }

    /// <summary>The decoded event on one line, without the bulky parts.</summary>
    public static string Summary(EventRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var text = EventTypes.Describe(r.Type, r.Data);
        return text.Length > 240 ? text[..237] + "..." : text;
    }
}
