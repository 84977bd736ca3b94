using Csto.EventLog;
using Csto.EventLog.Projections;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>The inbox, checkpoints and projection tables of the store contract (both engines).</summary>
public abstract partial class StoreContract
{
    [Fact]
    public async Task An_inbox_entry_is_written_with_the_append_and_a_second_delivery_appends_nothing()
    {
        var inbox = new InboxEntry("bodies", "source-1", "membership", 42);
        var first = await _store.AppendAsync(new AppendRequest("roster-KAZ", ExpectedVersion.Any, [Events.Any(1)], inbox));
        var again = await _store.AppendAsync(new AppendRequest("roster-KAZ", ExpectedVersion.Any, [Events.Any(2)], inbox));
        var onlyInbox = await _store.AppendAsync(new AppendRequest("$inbox-bodies", ExpectedVersion.Any, [], new InboxEntry("bodies", "source-2", "membership", 43)));

        Assert.Equal(AppendOutcome.Appended, first.Outcome);
        Assert.Equal(AppendOutcome.DuplicateInbox, again.Outcome);
        Assert.Equal(AppendOutcome.Appended, onlyInbox.Outcome);
        Assert.Equal(1, _store.HeadPosition);
        Assert.True(await _store.IsProcessedAsync("bodies", "source-1"));
        Assert.False(await _store.IsProcessedAsync("operations", "source-1"));
        var consumer = Assert.Single(await _store.GetConsumersAsync());
        Assert.Equal(2, consumer.ProcessedCount);
        Assert.Equal(43, consumer.SourcePositions["membership"]);
    }

    [Fact]
    public async Task Checkpoints_start_at_zero_and_keep_the_last_position_set()
    {
        Assert.Equal(0, await _store.GetCheckpointAsync("relay"));
        await _store.SetCheckpointAsync("relay", 5);
        await _store.SetCheckpointAsync("other", 9);
        await _store.SetCheckpointAsync("relay", 3);

        Assert.Equal(3, await _store.GetCheckpointAsync("relay"));
        Assert.Equal(9, await _store.GetCheckpointAsync("other"));
    }

    [Fact]
    public async Task A_projection_is_applied_queried_with_null_filters_and_rebuilt_to_the_same_hash()
    {
        for (var i = 0; i < 300; i++)
        {
            await _store.AppendAsync(new AppendRequest($"operation-{i % 7}", ExpectedVersion.Any, [Events.Any(i)]));
        }

        var runner = new ProjectionRunner(_store, ReadModel, [new StreamsProjection()], NullLogger<ProjectionRunner>.Instance);
        await runner.StartAsync(CancellationToken.None);
        try
        {
            await runner.WaitForPositionAsync(300, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            var rows = await ReadModel.QueryAsync("SELECT stream_id, event_count FROM proj_streams WHERE (@s IS NULL OR stream_id = @s) ORDER BY stream_id",
                r => (r.GetString(0), r.GetInt64(1)), CancellationToken.None, ("@s", null));
            var one = await ReadModel.QueryAsync("SELECT event_count FROM proj_streams WHERE (@s IS NULL OR stream_id = @s)",
                r => r.GetInt64(0), CancellationToken.None, ("@s", "operation-3"));

            Assert.Equal(7, rows.Count);
            Assert.Equal(300, rows.Sum(r => r.Item2));
            Assert.Equal([43L], one);
            var rebuilt = Assert.Single(await runner.RebuildAsync(["streams"], CancellationToken.None));
            Assert.True(rebuilt.HashesMatch, $"{rebuilt.LiveHash} != {rebuilt.RebuiltHash}");

            // the swapped-in tables go on being fed
            await _store.AppendAsync(new AppendRequest("operation-new", ExpectedVersion.Any, [Events.Any(0)]));
            await runner.WaitForPositionAsync(301, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(8, (await ReadModel.QueryAsync("SELECT COUNT(*) FROM proj_streams", r => r.GetInt64(0), CancellationToken.None)).Single());
        }
        finally
        {
            await runner.StopAsync(CancellationToken.None);
        }
    }

    sealed class TypesByPosition : IProjection
    {
        public string Name => "types-by-position";

        public IReadOnlyList<ProjectionTable> Tables { get; } = [new("proj_test_types", "position INTEGER PRIMARY KEY, type TEXT NOT NULL", "type", "type, position")];

        public void Apply(V1.EventRecord record, ProjectionWriter writer) =>
            writer.Execute("proj_test_types", "INSERT INTO {t}(position, type) VALUES (@p, @t) ON CONFLICT DO NOTHING", ("@p", record.Position), ("@t", record.Type));
    }

    async Task<IReadOnlyList<string>> QueryIndexesAsync(string table) => _store is SqliteEventStore
        ? await ReadModel.QueryAsync("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = @t AND name LIKE 'ix_%' ORDER BY sql", r => r.GetString(0)[(r.GetString(0).IndexOf(" ON ", StringComparison.Ordinal))..], CancellationToken.None, ("@t", table))
        : await ReadModel.QueryAsync("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = @t AND indexname LIKE 'ix_%' ORDER BY indexdef", r => r.GetString(0)[(r.GetString(0).IndexOf(" ON ", StringComparison.Ordinal))..], CancellationToken.None, ("@t", table));

    [Fact]
    public async Task A_rebuild_fills_fresh_tables_through_their_keys_and_swaps_them_in_with_every_query_index()
    {
        for (var i = 0; i < 500; i++)
        {
            await _store.AppendAsync(new AppendRequest($"operation-{i % 7}", ExpectedVersion.Any, [i % 2 == 0 ? Events.Any(i) : Events.Status("KAZ", Membership.V1.MemberStatus.Member, i)]));
        }

        var runner = new ProjectionRunner(_store, ReadModel, [new TypesByPosition()], NullLogger<ProjectionRunner>.Instance);
        await runner.StartAsync(CancellationToken.None);
        try
        {
            await runner.WaitForPositionAsync(500, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            var live = await QueryIndexesAsync("proj_test_types");
            Assert.Equal(2, live.Count);

            var rebuilt = Assert.Single(await runner.RebuildAsync(["types-by-position"], CancellationToken.None));
            var second = Assert.Single(await runner.RebuildAsync(["types-by-position"], CancellationToken.None));

            Assert.True(rebuilt.HashesMatch && second.HashesMatch);
            // the same two indexes on the live table after each swap (their names carry a generation)
            Assert.Equal(live.Select(i => i.Replace("\"", "", StringComparison.Ordinal)), (await QueryIndexesAsync("proj_test_types")).Select(i => i.Replace("\"", "", StringComparison.Ordinal)));
            Assert.Equal(250, (await ReadModel.QueryAsync("SELECT COUNT(*) FROM proj_test_types WHERE type = @t", r => r.GetInt64(0), CancellationToken.None, ("@t", Csto.Common.V1.Date.Descriptor.FullName))).Single());
        }
        finally
        {
            await runner.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_projection_hash_is_the_sha256_of_its_rows_in_the_one_encoding_whatever_the_engine()
    {
        // the encoding both engines hash (TableHash): what a rebuild's "hashes match" compares, and what lets a SQLite
        // and a PostgreSQL read model of the same log be compared by hash
        IReadOnlyList<ProjectionTable> tables = [new("proj_test_hash", "id INTEGER PRIMARY KEY, label TEXT NOT NULL, data BLOB, note TEXT")];
        await ReadModel.PrepareTablesAsync(tables, "projection:hash", CancellationToken.None);
        await ReadModel.ApplyAsync("", w =>
        {
            const string insert = "INSERT INTO {t}(id, label, data, note) VALUES (@i, @l, @d, @n)";
            w.Execute("proj_test_hash", insert, ("@i", 1L), ("@l", "Қазақстан ok"), ("@d", new byte[] { 0x00, 0xAB, 0x10 }), ("@n", null));
            w.Execute("proj_test_hash", insert, ("@i", -5L), ("@l", ""), ("@d", null), ("@n", "नमस्ते|\n"));
            w.Execute("proj_test_hash", insert, ("@i", 70_000_000_000L), ("@l", "x"), ("@d", Enumerable.Range(0, 40_000).Select(b => (byte)b).ToArray()), ("@n", "y"));
        }, null, CancellationToken.None);

        var big = string.Concat(Enumerable.Range(0, 40_000).Select(b => ((byte)b).ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
        var expected = "table:proj_test_hash:4\n"
            + "I-5|S0:|N|S8:नमस्ते|\n|\n"
            + "I1|S12:Қазақстан ok|B00AB10|N|\n"
            + "I70000000000|S1:x|B" + big + "|S1:y|\n";
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(expected))),
            await ReadModel.HashTablesAsync(tables, "", CancellationToken.None));
    }

    [Fact]
    public async Task Applying_from_a_checkpoint_that_moved_runs_nothing_and_returns_where_it_is()
    {
        var tables = new StreamsProjection().Tables;
        Assert.Equal(0, await ReadModel.PrepareTablesAsync(tables, "projection:x", CancellationToken.None));
        var ran = 0;
        Assert.Equal(10, await ReadModel.ApplyAsync("", _ => ran++, new ProjectionCheckpoint("projection:x", 0, 10), CancellationToken.None));
        Assert.Equal(10, await ReadModel.ApplyAsync("", _ => ran++, new ProjectionCheckpoint("projection:x", 0, 5), CancellationToken.None));
        Assert.Equal(1, ran);
        Assert.Equal(10, await ReadModel.PrepareTablesAsync(tables, "projection:x", CancellationToken.None));
    }

    [Fact]
    public async Task Two_instances_feeding_one_projection_apply_each_event_once()
    {
        if (OpenAnotherInstance() is not { } other)
        {
            return; // one SQLite file has one instance
        }

        var runners = new[] { _store, other }.Select(s => new ProjectionRunner(s, (IReadModelStore)s, [new StreamsProjection()], NullLogger<ProjectionRunner>.Instance)).ToList();
        foreach (var runner in runners)
        {
            await runner.StartAsync(CancellationToken.None);
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(a => Task.Run(async () =>
            {
                var store = a % 2 == 0 ? _store : other;
                for (var i = 0; i < 150; i++)
                {
                    await store.AppendAsync(new AppendRequest($"s-{a}", ExpectedVersion.Any, [Events.Any(i)]));
                }
            })));
            var head = Math.Max(_store.HeadPosition, other.HeadPosition);
            Assert.Equal(1200, head);
            foreach (var runner in runners)
            {
                await runner.WaitForPositionAsync(head, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            }

            var counts = await ReadModel.QueryAsync("SELECT event_count FROM proj_streams", r => r.GetInt64(0), CancellationToken.None);
            Assert.Equal(8, counts.Count);
            Assert.All(counts, c => Assert.Equal(150, c));
        }
        finally
        {
            foreach (var runner in runners)
            {
                await runner.StopAsync(CancellationToken.None);
            }
        }
    }
}
