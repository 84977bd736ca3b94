using System.Text.RegularExpressions;

namespace Csto.EventLog;

/// <summary>
/// The PostgreSQL dialect of the log in one place. Each service keeps its log in its own schema
/// (<c>csto_&lt;service&gt;</c>), so the three services (and their instances) can share one database; connections set
/// <c>search_path</c> to it, so the services' unqualified projection SQL finds its tables unchanged.
/// </summary>
static partial class PostgresSchema
{
    public static string For(string serviceName)
    {
        var safe = Regex.Replace(serviceName.ToLowerInvariant(), "[^a-z0-9_]", "_");
        return "csto_" + safe;
    }

    public static bool IsPlainName(string schema) => PlainName().IsMatch(schema);

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex PlainName();

    /// <summary>
    /// Tables of the log. <c>head</c> is one row per log: the append transaction locks it (<c>FOR UPDATE</c>) to number
    /// its events, so writers (of every instance) commit one after another in position order and a reader can never
    /// see position N+1 before N is committed (see <see cref="PostgresEventStore"/>).
    /// </summary>
    public static string CreateTables(string schema) => $"""
        CREATE SCHEMA IF NOT EXISTS "{schema}";
        CREATE TABLE IF NOT EXISTS "{schema}".events (
            position       BIGINT PRIMARY KEY,
            stream_id      TEXT   NOT NULL,
            stream_version BIGINT NOT NULL,
            event_id       TEXT   NOT NULL UNIQUE,
            type           TEXT   NOT NULL,
            data           BYTEA  NOT NULL,
            recorded_at    BIGINT NOT NULL,
            metadata       BYTEA  NOT NULL,
            UNIQUE (stream_id, stream_version)
        );
        -- stream prefixes ordered byte-wise whatever the database's collation ("roster-" < "roster." even under en_US,
        -- which ignores punctuation): ReadLastPositionAsync ranges over it
        CREATE INDEX IF NOT EXISTS events_stream_bytes ON "{schema}".events ((stream_id COLLATE "C"), position);
        CREATE TABLE IF NOT EXISTS "{schema}".head (
            id       INT    PRIMARY KEY CHECK (id = 1),
            position BIGINT NOT NULL
        );
        INSERT INTO "{schema}".head(id, position) VALUES (1, 0) ON CONFLICT DO NOTHING;
        CREATE TABLE IF NOT EXISTS "{schema}".checkpoints (
            name     TEXT   PRIMARY KEY,
            position BIGINT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS "{schema}".inbox (
            consumer        TEXT   NOT NULL,
            event_id        TEXT   NOT NULL,
            source_service  TEXT   NOT NULL,
            source_position BIGINT NOT NULL,
            processed_at    BIGINT NOT NULL,
            PRIMARY KEY (consumer, event_id)
        );
        CREATE TABLE IF NOT EXISTS "{schema}".leases (
            name       TEXT        PRIMARY KEY,
            holder     TEXT        NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL
        );
        """;

    public const string RecordColumns = "position, stream_id, stream_version, event_id, type, data, recorded_at, metadata";

    /// <summary>
    /// Projection tables are written once in portable SQL (SQLite's TEXT / INTEGER / BLOB); PostgreSQL gets BIGINT for
    /// INTEGER (SQLite's integers are 64-bit, and the queries read them with GetInt64) and BYTEA for BLOB.
    /// </summary>
    public static string TranslateColumns(string columns) =>
        BlobType().Replace(IntegerType().Replace(columns, "BIGINT"), "BYTEA");

    [GeneratedRegex(@"\bINTEGER\b")]
    private static partial Regex IntegerType();

    [GeneratedRegex(@"\bBLOB\b")]
    private static partial Regex BlobType();
}
