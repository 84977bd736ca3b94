using System.Data.Common;
using Csto.EventLog.V1;

namespace Csto.EventLog.Projections;

/// <summary>A table of a projection: its logical name, column definitions and indexes (portable SQL: SQLite and PostgreSQL).</summary>
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
}

/// <summary>
/// Where a projection writes: a transaction of the store and the physical names of its tables. Parameters are named
/// <c>@name</c> (both engines read that spelling); <c>{t}</c> in the SQL stands for the physical table.
/// </summary>
public sealed class ProjectionWriter(DbConnection connection, DbTransaction transaction, string suffix)
{
    public string Table(string name) => name + suffix;

    public int Execute(string table, string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = sql.Replace("{t}", Table(table), StringComparison.Ordinal);
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }

        return cmd.ExecuteNonQuery();
    }
}
