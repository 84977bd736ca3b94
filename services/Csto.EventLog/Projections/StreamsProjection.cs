using Csto.EventLog.V1;

namespace Csto.EventLog.Projections;

/// <summary>Every stream of the log with its version, last type and last position: the index operators browse.</summary>
public sealed class StreamsProjection : IProjection
{
    public string Name => "streams";

    public IReadOnlyList<ProjectionTable> Tables { get; } =
    [
        new("proj_streams", "stream_id TEXT PRIMARY KEY, version INTEGER NOT NULL, last_type TEXT NOT NULL, last_position INTEGER NOT NULL, event_count INTEGER NOT NULL"),
        new("proj_event_types", "type TEXT PRIMARY KEY, event_count INTEGER NOT NULL"),
    ];

    public void Apply(EventRecord record, ProjectionWriter writer) => ApplyBatch([record], writer);

    /// <summary>One upsert per stream and per type of the slice (its last record, its count), not two per event.</summary>
    public void ApplyBatch(IReadOnlyList<EventRecord> records, ProjectionWriter writer)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(writer);
        var streams = new Dictionary<string, (EventRecord Last, long Count)>(StringComparer.Ordinal);
        var types = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            streams[record.StreamId] = (record, streams.TryGetValue(record.StreamId, out var held) ? held.Count + 1 : 1);
            types[record.Type] = types.GetValueOrDefault(record.Type) + 1;
        }

        foreach (var (stream, (last, count)) in streams)
        {
            writer.Execute("proj_streams", """
                INSERT INTO {t}(stream_id, version, last_type, last_position, event_count) VALUES (@s, @v, @ty, @p, @n)
                ON CONFLICT(stream_id) DO UPDATE SET version = excluded.version, last_type = excluded.last_type,
                    last_position = excluded.last_position, event_count = {t}.event_count + excluded.event_count
                """, ("@s", stream), ("@v", last.StreamVersion), ("@ty", last.Type), ("@p", last.Position), ("@n", count));
        }

        foreach (var (type, count) in types)
        {
            writer.Execute("proj_event_types", """
                INSERT INTO {t}(type, event_count) VALUES (@ty, @n) ON CONFLICT(type) DO UPDATE SET event_count = {t}.event_count + excluded.event_count
                """, ("@ty", type), ("@n", count));
        }
    }
}
