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

    public void Apply(EventRecord record, ProjectionWriter writer)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Execute("proj_streams", """
            INSERT INTO {t}(stream_id, version, last_type, last_position, event_count) VALUES (@s, @v, @ty, @p, 1)
            ON CONFLICT(stream_id) DO UPDATE SET version = excluded.version, last_type = excluded.last_type,
                last_position = excluded.last_position, event_count = {t}.event_count + 1
            """, ("@s", record.StreamId), ("@v", record.StreamVersion), ("@ty", record.Type), ("@p", record.Position));
        writer.Execute("proj_event_types", """
            INSERT INTO {t}(type, event_count) VALUES (@ty, 1) ON CONFLICT(type) DO UPDATE SET event_count = {t}.event_count + 1
            """, ("@ty", record.Type));
    }
}
