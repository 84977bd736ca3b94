using System.Data;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Csto.EventLog.Projections;
using Microsoft.Data.Sqlite;

namespace Csto.EventLog;

/// <summary>The read side of the SQLite log: projection tables live in the same file and are written by the same writer task.</summary>
public sealed partial class SqliteEventStore : IReadModelStore
{
    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<IDataRecord, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(parameters);
        await using var connection = OpenReadConnection();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var list = new List<T>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(map(reader));
        }

        return list;
    }

    public Task<long> ApplyAsync(string suffix, Action<ProjectionWriter> work, ProjectionCheckpoint? checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return ExecuteWriteAsync((c, t) =>
        {
            if (checkpoint is null)
            {
                using (var writer = new ProjectionWriter(c, t, suffix))
                {
                    work(writer);
                }

                return 0L;
            }

            // one writer owns the file, so the check cannot race; it keeps the contract the PostgreSQL store needs
            var stored = ReadCheckpoint(c, t, checkpoint.Name);
            if (stored != checkpoint.From)
            {
                return stored;
            }

            using (var writer = new ProjectionWriter(c, t, suffix))
            {
                work(writer);
            }

            WriteCheckpoint(c, t, checkpoint.Name, checkpoint.To);
            return checkpoint.To;
        }, cancellationToken);
    }

    public Task<long> PrepareTablesAsync(IReadOnlyList<ProjectionTable> tables, string checkpointName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        return ExecuteWriteAsync((c, t) =>
        {
            var checkpoint = ReadCheckpoint(c, t, checkpointName);
            foreach (var table in tables)
            {
                if (checkpoint == 0)
                {
                    Run(c, t, $"DROP TABLE IF EXISTS \"{table.Name}\"");
                }

                CreateTable(c, t, table, "", "", indexes: true);
            }

            return checkpoint;
        }, cancellationToken);
    }

    static long ReadCheckpoint(SqliteConnection connection, SqliteTransaction transaction, string name)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = "SELECT position FROM checkpoints WHERE name = $n";
        cmd.Parameters.AddWithValue("$n", name);
        return cmd.ExecuteScalar() is long p ? p : 0;
    }

    static void CreateTable(SqliteConnection c, SqliteTransaction t, ProjectionTable table, string suffix, string generation, bool indexes)
    {
        var physical = table.Name + suffix;
        using (var exists = c.CreateCommand())
        {
            exists.Transaction = t;
            exists.CommandText = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $n";
            exists.Parameters.AddWithValue("$n", physical);
            if (exists.ExecuteScalar() is not null)
            {
                return;
            }
        }

        Run(c, t, $"CREATE TABLE \"{physical}\" ({table.Columns})");
        if (indexes)
        {
            CreateIndexes(c, t, table, suffix, generation);
        }
    }

    static void CreateIndexes(SqliteConnection c, SqliteTransaction t, ProjectionTable table, string suffix, string generation)
    {
        var physical = table.Name + suffix;
        for (var i = 0; i < table.Indexes.Length; i++)
        {
            Run(c, t, $"CREATE INDEX IF NOT EXISTS \"ix_{table.Name}_{i}{generation}\" ON \"{physical}\" ({table.Indexes[i]})");
        }
    }

    public Task CreateTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken, bool indexes = true)
    {
        ArgumentNullException.ThrowIfNull(tables);
        // Index names of fresh tables carry a generation so that a rebuilt table renamed to the live name keeps unique index names.
        var generation = suffix.Length == 0 ? "" : "_" + Guid.NewGuid().ToString("N")[..8];
        return ExecuteWriteAsync((c, t) =>
        {
            foreach (var table in tables)
            {
                CreateTable(c, t, table, suffix, generation, indexes);
            }

            return true;
        }, cancellationToken);
    }

    public Task CreateIndexesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var generation = "_" + Guid.NewGuid().ToString("N")[..8];
        return ExecuteWriteAsync((c, t) =>
        {
            foreach (var table in tables)
            {
                CreateIndexes(c, t, table, suffix, generation);
            }

            return true;
        }, cancellationToken);
    }

    public Task DropTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        return ExecuteWriteAsync((c, t) =>
        {
            foreach (var table in tables)
            {
                Run(c, t, $"DROP TABLE IF EXISTS \"{table.Name}{suffix}\"");
            }

            return true;
        }, cancellationToken);
    }

    public Task SwapTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, string checkpointName, long position, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        // One transaction drops the live tables and renames the fresh ones; readers on other connections keep their
        // snapshot until they finish, then see the new tables.
        return ExecuteWriteAsync((c, t) =>
        {
            foreach (var table in tables)
            {
                Run(c, t, $"DROP TABLE IF EXISTS \"{table.Name}\"");
                Run(c, t, $"ALTER TABLE \"{table.Name}{suffix}\" RENAME TO \"{table.Name}\"");
            }

            WriteCheckpoint(c, t, checkpointName, position);
            return true;
        }, cancellationToken);
    }

    public async Task<string> HashTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        await using var connection = OpenReadConnection();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var table in tables.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var physical = table.Name + suffix;
            int columns;
            await using (var info = connection.CreateCommand())
            {
                info.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{physical}')";
                columns = Convert.ToInt32(await info.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }

            TableHash.AppendHeader(sha, table.Name, columns);
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = $"SELECT * FROM \"{physical}\" ORDER BY {string.Join(", ", Enumerable.Range(1, columns))}";
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await TableHash.AppendRowsAsync(sha, reader, columns, cancellationToken).ConfigureAwait(false);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var connection = OpenReadConnection();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM checkpoints";
        await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    static void Run(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
