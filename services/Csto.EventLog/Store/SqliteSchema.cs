namespace Csto.EventLog;

/// <summary>The SQLite dialect of the log in one place: pragmas, tables, statements.</summary>
static class SqliteSchema
{
    // WAL lets readers run beside the writer; synchronous=FULL syncs the WAL on every commit, so an
    // acknowledged append survives power loss, not only a process crash.
    public const string WriterPragmas = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = FULL;
        PRAGMA busy_timeout = 30000;
        PRAGMA foreign_keys = ON;
        """;

    public const string CreateTables = """
        CREATE TABLE IF NOT EXISTS events (
            position       INTEGER PRIMARY KEY,
            stream_id      TEXT    NOT NULL,
            stream_version INTEGER NOT NULL,
            event_id       TEXT    NOT NULL UNIQUE,
            type           TEXT    NOT NULL,
            data           BLOB    NOT NULL,
            recorded_at    INTEGER NOT NULL,
            metadata       BLOB    NOT NULL,
            UNIQUE (stream_id, stream_version)
        );
        CREATE TABLE IF NOT EXISTS checkpoints (
            name     TEXT PRIMARY KEY,
            position INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS inbox (
            consumer        TEXT    NOT NULL,
            event_id        TEXT    NOT NULL,
            source_service  TEXT    NOT NULL,
            source_position INTEGER NOT NULL,
            processed_at    INTEGER NOT NULL,
            PRIMARY KEY (consumer, event_id)
        ) WITHOUT ROWID;
        """;

    public const string RecordColumns = "position, stream_id, stream_version, event_id, type, data, recorded_at, metadata";

    public const string InsertEvent =
        "INSERT INTO events(position, stream_id, stream_version, event_id, type, data, recorded_at, metadata) VALUES ($p, $s, $v, $id, $t, $d, $at, $m)";
}
