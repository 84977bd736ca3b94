using Csto.EventLog.V1;
using Microsoft.Data.Sqlite;

namespace Csto.EventLog.Projections;

/// <summary>A table of a projection: its logical name, column definitions and indexes.</summary>
public sealed record ProjectionTable(string Name, string Columns, params string[] Indexes);

/// <summary>
/// A read model derived only from the log. It writes to the tables named by <see cref="ProjectionWriter.Table"/>
/// (the live tables, or fresh ones during a rebuild); queries read the live tables by their logical names.
/// </summary>
public interface IProjection
{
    string Name { get; }

    IReadOnlyList<ProjectionTable> Tables { get; }

    void Apply(EventRecord record, ProjectionWriter writer);
}

/// <summary>Where a projection writes: the transaction and the physical names of its tables.</summary>
public sealed class ProjectionWriter(SqliteConnection connection, SqliteTransaction transaction, string suffix)
{
    public SqliteConnection Connection { get; } = connection;

    public SqliteTransaction Transaction { get; } = transaction;

    public string Table(string name) => name + suffix;

    /// <summary>Runs a statement; <c>{t}</c> in the SQL stands for the physical name of <paramref name="table"/>.</summary>
    public int Execute(string table, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(parameters);
        using var cmd = Connection.CreateCommand();
        cmd.Transaction = Transaction;
        cmd.CommandText = sql.Replace("{t}", Table(table), StringComparison.Ordinal);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd.ExecuteNonQuery();
    }
}
