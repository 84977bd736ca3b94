using System.Data.Common;
using Csto.EventLog.V1;

namespace Csto.EventLog.Projections;

/// <summary>
/// A table of a projection: its logical name, column definitions and indexes (portable SQL: SQLite and PostgreSQL).
/// The indexes serve queries: a rebuild builds them after replaying the log, so what a projection writes must find its
/// rows through the table's keys (PRIMARY KEY, UNIQUE), never through one of these.
/// </summary>
public sealed record ProjectionTable(string Name, string Columns, params string[] Indexes);

/// <summary>
/// A read model derived only from the log. It writes to the tables named by <see cref="ProjectionWriter.Table"/>
/// (the live tables, or fresh ones during a rebuild); queries read the live tables by their logical names through
/// <see cref="IReadModelStore.QueryAsync{T}"/>.
/// </summary>
public interface IProjection
{
    string Name { get; }

    IReadOnlyList<ProjectionTable> Tables { get; }

    void Apply(EventRecord record, ProjectionWriter writer);

    /// <summary>
    /// A slice of the log, in order, in one transaction (a catch-up batch or a rebuild slice of up to 2,000 events). A
    /// projection whose rows sum up a slice (one row per stream, a count per type) overrides it to write each row once per
    /// slice; the tables must end up as <see cref="Apply"/> one record at a time would leave them (a rebuild hashes both).
    /// </summary>
    void ApplyBatch(IReadOnlyList<EventRecord> records, ProjectionWriter writer)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records)
        {
            Apply(record, writer);
        }
    }
}

/// <summary>
/// Where a projection writes: a transaction of the store and the physical names of its tables. Parameters are named
/// <c>@name</c> (both engines read that spelling); <c>{t}</c> in the SQL stands for the physical table.
/// A statement is prepared once per writer (one catch-up batch or rebuild slice, up to thousands of events) and run again
/// with new values, instead of being parsed again for every event.
/// </summary>
public sealed class ProjectionWriter(DbConnection connection, DbTransaction transaction, string suffix) : IDisposable
{
    readonly Dictionary<(string Table, string Sql), DbCommand> _commands = [];

    public string Table(string name) => name + suffix;

    public int Execute(string table, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!_commands.TryGetValue((table, sql), out var cmd))
        {
            cmd = connection.CreateCommand();
            cmd.Transaction = transaction;
            cmd.CommandText = sql.Replace("{t}", Table(table), StringComparison.Ordinal);
            _commands[(table, sql)] = cmd;
        }

        if (!SameNames(cmd.Parameters, parameters))
        {
            cmd.Parameters.Clear();
            foreach (var (name, _) in parameters)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = name;
                cmd.Parameters.Add(p);
            }
        }

        for (var i = 0; i < parameters.Length; i++)
        {
            cmd.Parameters[i].Value = parameters[i].Value ?? DBNull.Value;
        }

        return cmd.ExecuteNonQuery();
    }

    static bool SameNames(DbParameterCollection held, (string Name, object? Value)[] parameters)
    {
        if (held.Count != parameters.Length)
        {
            return false;
        }

        for (var i = 0; i < parameters.Length; i++)
        {
            if (!string.Equals(held[i].ParameterName, parameters[i].Name, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public void Dispose()
    {
        foreach (var cmd in _commands.Values)
        {
            cmd.Dispose();
        }

        _commands.Clear();
    }
}
