using Microsoft.Data.Sqlite;

namespace Csto.EventLog;

public sealed partial class SqliteEventStore
{
    /// <summary>
    /// The statements every append runs, prepared once on the writer connection: with group commit the single
    /// writer task is CPU-bound, and preparing four statements per append was a large part of it (the
    /// 64-appender rate about doubled in tests/Csto.Benchmarks). Used only by the writer task.
    /// </summary>
    sealed class WriterStatements : IDisposable
    {
        public WriterStatements(SqliteConnection connection)
        {
            Savepoint = Create(connection, "SAVEPOINT item");
            Release = Create(connection, "RELEASE item");
            Rollback = Create(connection, "ROLLBACK TO item; RELEASE item");
            FindEvent = Create(connection, "SELECT position, stream_id, stream_version FROM events WHERE event_id = $id");
            FindEventId = FindEvent.Parameters.Add("$id", SqliteType.Text);
            Insert = Create(connection, SqliteSchema.InsertEvent);
            InsertParameters = (
                Insert.Parameters.Add("$p", SqliteType.Integer),
                Insert.Parameters.Add("$s", SqliteType.Text),
                Insert.Parameters.Add("$v", SqliteType.Integer),
                Insert.Parameters.Add("$id", SqliteType.Text),
                Insert.Parameters.Add("$t", SqliteType.Text),
                Insert.Parameters.Add("$d", SqliteType.Blob),
                Insert.Parameters.Add("$at", SqliteType.Integer),
                Insert.Parameters.Add("$m", SqliteType.Blob));
        }

        public SqliteCommand Savepoint { get; }

        public SqliteCommand Release { get; }

        public SqliteCommand Rollback { get; }

        public SqliteCommand FindEvent { get; }

        public SqliteParameter FindEventId { get; }

        public SqliteCommand Insert { get; }

        public (SqliteParameter Position, SqliteParameter Stream, SqliteParameter Version, SqliteParameter Id, SqliteParameter Type, SqliteParameter Data, SqliteParameter At, SqliteParameter Metadata) InsertParameters { get; }

        public void Run(SqliteCommand command, SqliteTransaction transaction)
        {
            command.Transaction = transaction;
            command.ExecuteNonQuery();
        }

        public void Dispose()
        {
            foreach (var cmd in new[] { Savepoint, Release, Rollback, FindEvent, Insert })
            {
                cmd.Dispose();
            }
        }

        static SqliteCommand Create(SqliteConnection connection, string sql)
        {
            var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            return cmd;
        }
    }
}
