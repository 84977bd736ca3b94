using System.Data;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Csto.EventLog.Projections;
using Npgsql;
using NpgsqlTypes;

namespace Csto.EventLog;

/// <summary>
/// Projection tables in the service's schema. The services' SQL runs unchanged: column types are translated when the
/// tables are created (<see cref="PostgresSchema.TranslateColumns"/>), <c>@name</c> parameters are Npgsql's own
/// spelling, and a null parameter is sent as a typed (text) null so that <c>(@p IS NULL OR col = @p)</c> works.
/// </summary>
public sealed partial class PostgresEventStore : IReadModelStore
{
    public Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<IDataRecord, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(parameters);
        return WithConnectionAsync<IReadOnlyList<T>>(async connection =>
        {
            await using var cmd = new NpgsqlCommand(sql, connection);
            foreach (var (name, value) in parameters)
            {
                // an untyped null leaves PostgreSQL unable to type "@p IS NULL"; the nullable filters are all text
                cmd.Parameters.Add(value is null
                    ? new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = DBNull.Value }
                    : new NpgsqlParameter(name, value));
            }

            var list = new List<T>();
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(map(reader));
            }

            return list;
        }, cancellationToken);
    }

    public Task<long> ApplyAsync(string suffix, Action<ProjectionWriter> work, ProjectionCheckpoint? checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return InTransactionAsync(async (c, t) =>
        {
            if (checkpoint is null)
            {
                using (var writer = new ProjectionWriter(c, t, suffix))
                {
                    work(writer);
                }

                return 0L;
            }

            // check-and-advance under the checkpoint's row lock: an instance that finds the checkpoint moved by another
            // skips the range (and resumes from the stored position), so no range is applied twice
            var stored = await LockCheckpointAsync(c, t, checkpoint.Name, cancellationToken).ConfigureAwait(false);
            if (stored != checkpoint.From)
            {
                return stored;
            }

            using (var writer = new ProjectionWriter(c, t, suffix))
            {
                work(writer);
            }

            await WriteCheckpointAsync(c, t, checkpoint.Name, checkpoint.To, cancellationToken).ConfigureAwait(false);
            return checkpoint.To;
        }, cancellationToken);
    }

    public Task<long> PrepareTablesAsync(IReadOnlyList<ProjectionTable> tables, string checkpointName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        return InTransactionAsync(async (c, t) =>
        {
            var checkpoint = await LockCheckpointAsync(c, t, checkpointName, cancellationToken).ConfigureAwait(false);
            foreach (var table in tables)
            {
                if (checkpoint == 0)
                {
                    Execute(c, t, $"DROP TABLE IF EXISTS \"{table.Name}\"");
                }

                CreateTable(c, t, table, "", "", indexes: true);
            }

            return checkpoint;
        }, cancellationToken);
    }

    static async Task<long> LockCheckpointAsync(NpgsqlConnection c, NpgsqlTransaction t, string name, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO checkpoints(name, position) VALUES (@n, 0) ON CONFLICT DO NOTHING; SELECT position FROM checkpoints WHERE name = @n FOR UPDATE", c, t);
        cmd.Parameters.AddWithValue("n", name);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    static void CreateTable(NpgsqlConnection c, NpgsqlTransaction t, ProjectionTable table, string suffix, string generation, bool indexes)
    {
        var physical = table.Name + suffix;
        using (var exists = new NpgsqlCommand("SELECT to_regclass(quote_ident(@n)) IS NOT NULL", c, t))
        {
            exists.Parameters.AddWithValue("n", physical);
            if ((bool)exists.ExecuteScalar()!)
            {
                return;
            }
        }

        Execute(c, t, $"CREATE TABLE \"{physical}\" ({PostgresSchema.TranslateColumns(table.Columns)})");
        if (indexes)
        {
            CreateIndexes(c, t, table, suffix, generation);
        }
    }

    static void CreateIndexes(NpgsqlConnection c, NpgsqlTransaction t, ProjectionTable table, string suffix, string generation)
    {
        var physical = table.Name + suffix;
        for (var i = 0; i < table.Indexes.Length; i++)
        {
            Execute(c, t, $"CREATE INDEX IF NOT EXISTS \"ix_{table.Name}_{i}{generation}\" ON \"{physical}\" ({table.Indexes[i]})");
        }
    }

    public Task CreateTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken, bool indexes = true)
    {
        ArgumentNullException.ThrowIfNull(tables);
        // index names are per schema: fresh tables' indexes carry a generation so that the renamed table keeps unique names
        var generation = suffix.Length == 0 ? "" : "_" + Guid.NewGuid().ToString("N")[..8];
        return InTransactionAsync((c, t) =>
        {
            foreach (var table in tables)
            {
                CreateTable(c, t, table, suffix, generation, indexes);
            }

            return Task.FromResult(true);
        }, cancellationToken);
    }

    public Task CreateIndexesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var generation = "_" + Guid.NewGuid().ToString("N")[..8];
        return InTransactionAsync((c, t) =>
        {
            foreach (var table in tables)
            {
                CreateIndexes(c, t, table, suffix, generation);
            }

            return Task.FromResult(true);
        }, cancellationToken);
    }

    public Task DropTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        return InTransactionAsync((c, t) =>
        {
            foreach (var table in tables)
            {
                Execute(c, t, $"DROP TABLE IF EXISTS \"{table.Name}{suffix}\"");
            }

            return Task.FromResult(true);
        }, cancellationToken);
    }

    public Task SwapTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, string checkpointName, long position, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        // DDL is transactional here: queries see the old tables until the commit, then the new ones
        return InTransactionAsync(async (c, t) =>
        {
            await LockCheckpointAsync(c, t, checkpointName, cancellationToken).ConfigureAwait(false);
            foreach (var table in tables)
            {
                Execute(c, t, $"DROP TABLE IF EXISTS \"{table.Name}\"");
                Execute(c, t, $"ALTER TABLE \"{table.Name}{suffix}\" RENAME TO \"{table.Name}\"");
            }

            return await WriteCheckpointAsync(c, t, checkpointName, position, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>
    /// The same text per row as the SQLite store (text in byte order: <c>COLLATE "C"</c>, integers, bytes in hex), so a
    /// rebuild compares equal with the live tables, and equal contents hash the same on both engines.
    /// </summary>
    public Task<string> HashTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        return WithConnectionAsync(async connection =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var table in tables.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                var physical = table.Name + suffix;
                var order = new List<string>();
                await using (var info = new NpgsqlCommand(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @n ORDER BY ordinal_position", connection))
                {
                    info.Parameters.AddWithValue("n", physical);
                    await using var columnsReader = await info.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await columnsReader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var column = $"\"{columnsReader.GetString(0)}\"";
                        order.Add(columnsReader.GetString(1) == "text" ? column + " COLLATE \"C\"" : column);
                    }
                }

                var columns = order.Count;
                TableHash.AppendHeader(sha, table.Name, columns);
                await using var cmd = new NpgsqlCommand($"SELECT * FROM \"{physical}\" ORDER BY {string.Join(", ", order)}", connection);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await TableHash.AppendRowsAsync(sha, reader, columns, cancellationToken).ConfigureAwait(false);
            }

            return Convert.ToHexStringLower(sha.GetHashAndReset());
        }, cancellationToken);
    }

    public Task PingAsync(CancellationToken cancellationToken) =>
        WithConnectionAsync(async connection =>
        {
            await using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM checkpoints", connection);
            return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken, upkeep: true);
}
