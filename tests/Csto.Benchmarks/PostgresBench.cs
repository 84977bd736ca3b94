using System.Diagnostics;
using System.Globalization;
using Csto.EventLog;
using Csto.Testing;
using Google.Protobuf;
using Npgsql;
using NpgsqlTypes;

namespace Csto.Benchmarks;

/// <summary>
/// <c>--only postgres</c>: appends/s of PostgresEventStore against SqliteEventStore and against raw Npgsql into the same
/// events table (COPY BINARY of rows prepared in advance, all in one transaction; and one INSERT per transaction), at 1
/// and 64 concurrent appenders. Uses CSTO_POSTGRES_CONNECTION, else starts a private server with deploy/postgres.sh.
/// </summary>
static class PostgresBench
{
    public static async Task RunAsync(Config cfg, List<Row> table, TextWriter log)
    {
        log.WriteLine("5. PostgreSQL appends (fsync on, synchronous_commit on, loopback)");
        PostgresCluster? own = null;
        var connection = Environment.GetEnvironmentVariable(TestPostgres.Variable);
        if (string.IsNullOrEmpty(connection))
        {
            log.WriteLine("  starting a private PostgreSQL (deploy/postgres.sh)");
            own = await PostgresCluster.StartAsync();
            connection = own.ConnectionString;
        }

        try
        {
            var copy = await Machine.MedianOfAsync(cfg, log, "raw Npgsql COPY, all rows in one transaction", () => RawAsync(connection, cfg.RawBatchRows, copy: true));
            var perRow = await Machine.MedianOfAsync(cfg, log, "raw Npgsql INSERT, one transaction per row", () => RawAsync(connection, cfg.RawPerRowRows, copy: false));
            foreach (var appenders in new[] { 1, 64 })
            {
                var pg = await Machine.MedianOfAsync(cfg, log, $"PostgresEventStore, {appenders} appenders", () => WithSchemaAsync(connection, service =>
                    StoreAsync(PostgresEventStore.Open(connection, service), appenders, cfg.AppendSeconds)));
                var sqlite = await Machine.MedianOfAsync(cfg, log, $"SqliteEventStore, {appenders} appenders", async () =>
                {
                    using var dir = new TempDir();
                    return await StoreAsync(new SqliteEventStore(Path.Combine(dir.Path, "log.db"), "bench"), appenders, cfg.AppendSeconds);
                });
                var name = $"PostgresEventStore appends/s, {appenders} appender{(appenders > 1 ? "s" : "")}";
                table.Add(new Row(name, Machine.Rate(pg), "SqliteEventStore " + Machine.Rate(sqlite), Machine.Pct(pg / sqlite) + " of SQLite", "-", "-"));
                table.Add(new Row("", "", "raw Npgsql COPY " + Machine.Rate(copy), Machine.Pct(pg / copy) + " of COPY", "-", "-"));
                table.Add(new Row("", "", "raw Npgsql tx/row " + Machine.Rate(perRow), Machine.Pct(pg / perRow) + " of tx/row", "-", "-"));
            }
        }
        finally
        {
            if (own is not null)
            {
                await own.DisposeAsync();
            }
        }
    }

    /// <summary>Each run on a fresh schema (its own log), dropped afterwards.</summary>
    static async Task<double> WithSchemaAsync(string connection, Func<string, Task<double>> run)
    {
        var service = "bench" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            return await run(service);
        }
        finally
        {
            await TestPostgres.DropAsync(service, connection);
        }
    }

    /// <summary>As the SQLite figure: each appender on its own stream with its expected version, one event per append, for a fixed time.</summary>
    static async Task<double> StoreAsync(IEventStore store, int appenders, double seconds)
    {
        try
        {
            var events = Enumerable.Range(0, 4096).Select(Sample.Event).ToArray();
            long done = 0;
            var sw = Stopwatch.StartNew();
            var deadline = TimeSpan.FromSeconds(seconds);
            await Task.WhenAll(Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
            {
                var stream = "member-" + a.ToString(CultureInfo.InvariantCulture);
                for (long version = 0; sw.Elapsed < deadline; version++)
                {
                    var e = events[(int)(version % events.Length)] with { EventId = Guid.NewGuid().ToString() };
                    await store.AppendAsync(new AppendRequest(stream, version, [e]));
                    Interlocked.Increment(ref done);
                }
            })));
            return done / sw.Elapsed.TotalSeconds;
        }
        finally
        {
            await ((IAsyncDisposable)store).DisposeAsync();
        }
    }

    /// <summary>The floor under the store: the table the store created, rows prepared in advance, no checks, no head row.</summary>
    public static Task<double> RawAsync(string connectionString, int rows, bool copy) => WithSchemaAsync(connectionString, async service =>
    {
        await PostgresEventStore.Open(connectionString, service).DisposeAsync();
        var prepared = Enumerable.Range(0, rows).Select(i =>
        {
            var e = Sample.Event(i);
            return (e.EventId, e.Type, Data: e.Data.ToByteArray(), Meta: e.Metadata.ToByteArray());
        }).ToArray();
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = "csto_" + service };
        await using var connection = new NpgsqlConnection(builder.ToString());
        await connection.OpenAsync();
        var micros = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var sw = Stopwatch.StartNew();
        if (copy)
        {
            await using var tx = await connection.BeginTransactionAsync();
            await using (var writer = await connection.BeginBinaryImportAsync("COPY events(position, stream_id, stream_version, event_id, type, data, recorded_at, metadata) FROM STDIN (FORMAT BINARY)"))
            {
                for (var i = 0; i < rows; i++)
                {
                    await writer.StartRowAsync();
                    await writer.WriteAsync((long)i + 1, NpgsqlDbType.Bigint);
                    await writer.WriteAsync("member-" + (i % 100).ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Text);
                    await writer.WriteAsync((long)(i / 100) + 1, NpgsqlDbType.Bigint);
                    await writer.WriteAsync(prepared[i].EventId, NpgsqlDbType.Text);
                    await writer.WriteAsync(prepared[i].Type, NpgsqlDbType.Text);
                    await writer.WriteAsync(prepared[i].Data, NpgsqlDbType.Bytea);
                    await writer.WriteAsync(micros, NpgsqlDbType.Bigint);
                    await writer.WriteAsync(prepared[i].Meta, NpgsqlDbType.Bytea);
                }

                await writer.CompleteAsync();
            }

            await tx.CommitAsync();
        }
        else
        {
            await using var insert = new NpgsqlCommand("INSERT INTO events(position, stream_id, stream_version, event_id, type, data, recorded_at, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", connection);
            foreach (var type in new[] { NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Bytea, NpgsqlDbType.Bigint, NpgsqlDbType.Bytea })
            {
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = type });
            }

            await insert.PrepareAsync();
            for (var i = 0; i < rows; i++)
            {
                // autocommit: one transaction, one WAL flush per row
                insert.Parameters[0].Value = (long)i + 1;
                insert.Parameters[1].Value = "member-" + (i % 100).ToString(CultureInfo.InvariantCulture);
                insert.Parameters[2].Value = (long)(i / 100) + 1;
                insert.Parameters[3].Value = prepared[i].EventId;
                insert.Parameters[4].Value = prepared[i].Type;
                insert.Parameters[5].Value = prepared[i].Data;
                insert.Parameters[6].Value = micros;
                insert.Parameters[7].Value = prepared[i].Meta;
                await insert.ExecuteNonQueryAsync();
            }
        }

        return rows / sw.Elapsed.TotalSeconds;
    });
}
