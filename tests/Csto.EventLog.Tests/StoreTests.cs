using Csto.EventLog;
using Csto.EventLog.V1;
using Google.Protobuf;
using Csto.Membership.V1;
using Csto.Testing;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>
/// The store contract, run against every store: SQLite (<see cref="SqliteStoreTests"/>) and PostgreSQL
/// (<see cref="PostgresStoreTests"/>). A store is both the log and the read model.
/// </summary>
public abstract partial class StoreContract : IAsyncLifetime
{
    IEventStore _store = null!;

    /// <summary>Opens the store under test (again after <see cref="CloseAsync"/>: the same file or schema).</summary>
    protected abstract IEventStore Open();

    /// <summary>Another instance on the same database, where the engine allows several (PostgreSQL); else null.</summary>
    protected virtual IEventStore? OpenAnotherInstance() => null;

    protected abstract Task CleanUpAsync();

    protected IReadModelStore ReadModel => (IReadModelStore)_store;

    public Task InitializeAsync()
    {
        _store = Open();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await CloseAsync();
        await CleanUpAsync();
    }

    async Task CloseAsync()
    {
        if (_store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
    }

    [Fact]
    public async Task Appending_at_a_stale_expected_version_is_a_conflict_and_appends_nothing()
    {
        await _store.AppendAsync(new AppendRequest("member-KAZ", ExpectedVersion.NoStream, [Events.Status("KAZ", MemberStatus.Signatory, 1)]));
        await _store.AppendAsync(new AppendRequest("member-KAZ", 1, [Events.Status("KAZ", MemberStatus.Member, 2)]));

        var conflict = await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            _store.AppendAsync(new AppendRequest("member-KAZ", 1, [Events.Status("KAZ", MemberStatus.Withdrawn, 2)])));

        Assert.Equal(1, conflict.Expected);
        Assert.Equal(2, conflict.Actual);
        Assert.Equal(2, _store.HeadPosition);
        Assert.Equal(2, (await _store.ReadStreamAsync("member-KAZ")).Count);
    }

    [Fact]
    public async Task Creating_a_stream_that_exists_is_a_conflict()
    {
        await _store.AppendAsync(new AppendRequest("member-RUS", ExpectedVersion.NoStream, [Events.Status("RUS", MemberStatus.Signatory, 1)]));

        await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            _store.AppendAsync(new AppendRequest("member-RUS", ExpectedVersion.NoStream, [Events.Status("RUS", MemberStatus.Signatory, 1)])));
    }

    [Fact]
    public async Task Appending_an_event_id_twice_is_a_no_op_that_returns_the_original_position()
    {
        var e = Events.Status("ARM", MemberStatus.Signatory, 1);
        await _store.AppendAsync(new AppendRequest("member-BLR", ExpectedVersion.Any, [Events.Status("BLR", MemberStatus.Signatory, 1)]));
        var first = await _store.AppendAsync(new AppendRequest("member-ARM", ExpectedVersion.NoStream, [e]));
        await _store.AppendAsync(new AppendRequest("member-BLR", ExpectedVersion.Any, [Events.Status("BLR", MemberStatus.Member, 2)]));

        // the retry carries the stale expected version of the first try: still a success, not a conflict
        var retry = await _store.AppendAsync(new AppendRequest("member-ARM", ExpectedVersion.NoStream, [e]));

        Assert.Equal(AppendOutcome.Appended, first.Outcome);
        Assert.Equal(AppendOutcome.AlreadyAppended, retry.Outcome);
        Assert.Equal(first.FirstPosition, retry.FirstPosition);
        Assert.Equal(2, first.FirstPosition);
        Assert.Equal(3, _store.HeadPosition);
    }

    [Fact]
    public async Task A_batch_that_is_partly_in_the_log_already_is_refused_whole()
    {
        var a = Events.Status("TJK", MemberStatus.Signatory, 1);
        await _store.AppendAsync(new AppendRequest("member-TJK", ExpectedVersion.Any, [a]));

        var ex = await Assert.ThrowsAsync<InvalidAppendException>(() =>
            _store.AppendAsync(new AppendRequest("member-TJK", ExpectedVersion.Any, [a, Events.Status("TJK", MemberStatus.Member, 2)])));

        Assert.Equal("event_id", ex.Field);
        Assert.Equal(1, _store.HeadPosition);
    }

    [Fact]
    public async Task Sixty_four_concurrent_appenders_get_gap_free_ordered_positions_and_lose_nothing()
    {
        const int appenders = 64;
        const int perAppender = 50;
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<(string Id, long Position)>();
        await Task.WhenAll(Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
        {
            for (var i = 0; i < perAppender; i++)
            {
                var e = Events.Any(i);
                // half the appenders share streams, so the version check is exercised under contention
                var stream = a % 2 == 0 ? $"shared-{a % 4}" : $"own-{a}";
                var result = await _store.AppendAsync(new AppendRequest(stream, ExpectedVersion.Any, [e]));
                acknowledged.Add((e.EventId, result.FirstPosition));
            }
        })));

        var all = await _store.ReadAllAsync(1, long.MaxValue, ReadFilter.All, 100_000);
        Assert.Equal(appenders * perAppender, all.Records.Count);
        Assert.Equal(Enumerable.Range(1, appenders * perAppender).Select(i => (long)i), all.Records.Select(r => r.Position));
        var byId = all.Records.ToDictionary(r => r.EventId, r => r.Position);
        Assert.All(acknowledged, ack => Assert.Equal(ack.Position, byId[ack.Id]));
        foreach (var stream in all.Records.GroupBy(r => r.StreamId))
        {
            Assert.Equal(Enumerable.Range(1, stream.Count()).Select(i => (long)i), stream.Select(r => r.StreamVersion));
        }
    }

    [Fact]
    public async Task A_conflict_in_a_group_commit_does_not_fail_the_other_appends_of_the_batch()
    {
        await _store.AppendAsync(new AppendRequest("s", ExpectedVersion.NoStream, [Events.Any(0)]));
        var tasks = Enumerable.Range(0, 32).Select(i => i % 2 == 0
            ? _store.AppendAsync(new AppendRequest("s", 1, [Events.Any(i)]))
            : _store.AppendAsync(new AppendRequest($"other-{i}", ExpectedVersion.NoStream, [Events.Any(i)]))).ToList();
        await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        _ = Assert.Single(tasks.Where((t, i) => i % 2 == 0 && t.IsCompletedSuccessfully));
        Assert.All(tasks.Where((t, i) => i % 2 == 1), t => Assert.True(t.IsCompletedSuccessfully));
        Assert.Equal(1 + 1 + 16, _store.HeadPosition);
        var all = await _store.ReadAllAsync(1, long.MaxValue, ReadFilter.All, 1000);
        Assert.Equal(Enumerable.Range(1, 18).Select(i => (long)i), all.Records.Select(r => r.Position));
    }

    [Fact]
    public async Task Reads_filter_by_stream_prefix_and_type_and_report_how_far_they_scanned()
    {
        await _store.AppendAsync(new AppendRequest("member-KAZ", ExpectedVersion.Any, [Events.Status("KAZ", MemberStatus.Member, 1)]));
        await _store.AppendAsync(new AppendRequest("other-1", ExpectedVersion.Any, [Events.Any(1), Events.Any(2)]));
        await _store.AppendAsync(new AppendRequest("member-RUS", ExpectedVersion.Any, [Events.Status("RUS", MemberStatus.Member, 1)]));

        var members = await _store.ReadAllAsync(1, long.MaxValue, new ReadFilter("member-"), 100);
        var dates = await _store.ReadAllAsync(1, long.MaxValue, new ReadFilter(Types: ["csto.common.v1.Date"]), 100);
        var none = await _store.ReadAllAsync(2, 3, new ReadFilter("member-"), 100);

        Assert.Equal(["member-KAZ", "member-RUS"], members.Records.Select(r => r.StreamId));
        Assert.Equal([2L, 3L], dates.Records.Select(r => r.Position));
        Assert.Empty(none.Records);
        Assert.Equal(3, none.ScannedTo);
        Assert.All(members.Records, r => Assert.Equal(_store.ServiceName, r.SourceService));
    }

    [Fact]
    public async Task The_last_position_of_a_stream_prefix_counts_only_the_streams_with_that_prefix()
    {
        Assert.Equal(0, await _store.ReadLastPositionAsync("roster-", CancellationToken.None));
        await _store.AppendAsync(new AppendRequest("roster-KAZ", ExpectedVersion.Any, [Events.Any(1), Events.Any(2)]));
        await _store.AppendAsync(new AppendRequest("rosterx", ExpectedVersion.Any, [Events.Any(3)]));
        await _store.AppendAsync(new AppendRequest("roster.", ExpectedVersion.Any, [Events.Any(4)]));
        await _store.AppendAsync(new AppendRequest("roster-", ExpectedVersion.Any, [Events.Any(5)]));
        await _store.AppendAsync(new AppendRequest("roster-TJK", ExpectedVersion.Any, [Events.Any(6)]));
        await _store.AppendAsync(new AppendRequest("rostes-KAZ", ExpectedVersion.Any, [Events.Any(7)]));

        Assert.Equal(6, await _store.ReadLastPositionAsync("roster-", CancellationToken.None));
        Assert.Equal(4, await _store.ReadLastPositionAsync("roster.", CancellationToken.None));
        Assert.Equal(0, await _store.ReadLastPositionAsync("member-", CancellationToken.None));
    }

    [Fact]
    public async Task The_last_position_of_a_prefix_follows_appends_after_it_was_first_asked_for_and_after_reopening()
    {
        await _store.AppendAsync(new AppendRequest("roster-KAZ", ExpectedVersion.Any, [Events.Any(1), Events.Any(2)]));
        await _store.AppendAsync(new AppendRequest("member-KAZ", ExpectedVersion.Any, [Events.Any(3)]));

        Assert.Equal(2, await _store.ReadLastPositionAsync("roster-", CancellationToken.None)); // rows written before: found
        await _store.AppendAsync(new AppendRequest("roster-RUS", ExpectedVersion.Any, [Events.Any(4), Events.Any(5)]));
        await _store.AppendAsync(new AppendRequest("member-RUS", ExpectedVersion.Any, [Events.Any(6)]));
        Assert.Equal(5, await _store.ReadLastPositionAsync("roster-", CancellationToken.None)); // appended since: followed
        Assert.Equal(6, await _store.ReadLastPositionAsync("member-", CancellationToken.None));

        // first asks racing appends: once both are done, the answer is every appended roster event
        var appends = Enumerable.Range(0, 20).Select(i =>
            _store.AppendAsync(new AppendRequest($"roster-X{i}", ExpectedVersion.Any, [Events.Any(10 + i)]))).ToList();
        var asks = Enumerable.Range(0, 5).Select(_ => _store.ReadLastPositionAsync("roster-X", CancellationToken.None)).ToList();
        await Task.WhenAll(appends);
        await Task.WhenAll(asks);
        var last = appends.Max(a => a.Result.LastPosition);
        Assert.Equal(last, await _store.ReadLastPositionAsync("roster-X", CancellationToken.None));
        Assert.Equal(last, await _store.ReadLastPositionAsync("roster-", CancellationToken.None));

        if (OpenAnotherInstance() is { } other)
        {
            // several instances on one database: what another appended counts too
            var theirs = await other.AppendAsync(new AppendRequest("roster-TJK", ExpectedVersion.Any, [Events.Any(40)]));
            Assert.Equal(theirs.LastPosition, await _store.ReadLastPositionAsync("roster-", CancellationToken.None));
        }

        var expected = await _store.ReadLastPositionAsync("roster-", CancellationToken.None);
        await CloseAsync();
        _store = Open();
        Assert.Equal(expected, await _store.ReadLastPositionAsync("roster-", CancellationToken.None));
        var next = await _store.AppendAsync(new AppendRequest("roster-ARM", ExpectedVersion.Any, [Events.Any(50)]));
        Assert.Equal(next.LastPosition, await _store.ReadLastPositionAsync("roster-", CancellationToken.None));
    }

    [Fact]
    public async Task A_replay_read_encoded_from_the_columns_is_byte_for_byte_the_serialized_records_it_stands_for()
    {
        var rich = new EventMetadata
        {
            CorrelationId = "corr-1",
            CausationId = "cause-1",
            Actor = new Actor { Subject = "секретарь", Role = "secretariat", State = "KAZ" },
            Traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            Tracestate = "csto=1",
            EffectiveTime = new Google.Protobuf.WellKnownTypes.Timestamp { Seconds = 1_021_334_400 },
            Provenance = new Csto.Common.V1.Provenance { Source = "shared/seed/csto-overview.hi.txt", Basis = Csto.Common.V1.Basis.Chosen, Reason = "संधि" },
        };
        await _store.AppendAsync(new AppendRequest("member-ҚАЗ", ExpectedVersion.Any, [NewEvent.From(new Csto.Common.V1.Date { Year = 2002, Month = 5, Day = 14 }, rich)]));
        await _store.AppendAsync(new AppendRequest("member-KAZ", ExpectedVersion.Any, [new NewEvent(Guid.NewGuid().ToString(), "csto.test.v1.Empty", Google.Protobuf.ByteString.Empty, new EventMetadata())]));
        for (var i = 0; i < 300; i++)
        {
            await _store.AppendAsync(new AppendRequest(i % 3 == 0 ? "roster-ARM" : "member-ARM", ExpectedVersion.Any, [Events.Any(i), Events.Status("ARM", MemberStatus.Member, 1)]));
        }

        var filters = new[] { ReadFilter.All, new ReadFilter("roster-"), new ReadFilter(Types: ["csto.test.v1.Empty", MemberStatusChanged.Descriptor.FullName]), new ReadFilter("nobody-") };
        foreach (var filter in filters)
        {
            foreach (var batch in new[] { 1, 7, 500, 5000 })
            {
                var position = 1L;
                while (position <= _store.HeadPosition)
                {
                    var records = await _store.ReadAllAsync(position, long.MaxValue, filter, batch);
                    using var encoded = (await _store.ReadAllEncodedAsync(position, long.MaxValue, filter, batch)).Events;
                    var scannedTo = (await _store.ReadAllEncodedAsync(position, long.MaxValue, filter, batch)).ScannedTo;

                    Assert.Equal(records.ScannedTo, scannedTo);
                    if (records.Records.Count == 0)
                    {
                        Assert.Null(encoded);
                    }
                    else
                    {
                        var expected = new StreamEventsResponse { Events = new EventBatch() };
                        expected.Events.Records.AddRange(records.Records);
                        Assert.Equal(Convert.ToHexString(expected.ToByteArray()), Convert.ToHexString(encoded!.Bytes.Span));
                        Assert.Equal(records.Records.Count, encoded.Count);
                        Assert.Equal(records.Records[^1].Position, encoded.LastPosition);
                        // and what a client parses is the records, the metadata whole
                        Assert.Equal(records.Records, StreamEventsResponse.Parser.ParseFrom(encoded.Bytes.Span).Events.Records);
                    }

                    position = records.ScannedTo + 1;
                }
            }
        }

        Assert.Null((await _store.ReadAllEncodedAsync(_store.HeadPosition + 1, long.MaxValue, ReadFilter.All, 10)).Events);
        Assert.Equal(rich, (await _store.ReadAllAsync(1, 1, ReadFilter.All, 1)).Records[0].Metadata);
    }

    static StreamCache CacheOf(IEventStore store) => store switch
    {
        SqliteEventStore sqlite => sqlite.Streams,
        PostgresEventStore postgres => postgres.Streams,
        _ => throw new NotSupportedException(store.GetType().Name),
    };

    [Fact]
    public async Task An_event_id_is_found_at_its_version_in_its_own_stream_only()
    {
        var kaz = new[] { Events.Status("KAZ", MemberStatus.Signatory, 1), Events.Status("KAZ", MemberStatus.Member, 2) };
        await _store.AppendAsync(new AppendRequest("member-KAZ", ExpectedVersion.NoStream, kaz));
        await _store.AppendAsync(new AppendRequest("member-RUS", ExpectedVersion.NoStream, [Events.Status("RUS", MemberStatus.Member, 1)]));

        Assert.Equal(2, await _store.FindEventVersionAsync("member-KAZ", kaz[1].EventId));
        Assert.Equal(1, await _store.FindEventVersionAsync("member-KAZ", kaz[0].EventId));
        Assert.Equal(0, await _store.FindEventVersionAsync("member-RUS", kaz[1].EventId)); // in another stream
        Assert.Equal(0, await _store.FindEventVersionAsync("member-KAZ", Guid.NewGuid().ToString()));
    }

    [Fact]
    public async Task A_stream_read_again_comes_whole_from_the_cached_prefix_and_what_was_appended_since()
    {
        await _store.AppendAsync(new AppendRequest("member-KAZ", ExpectedVersion.NoStream, [Events.Status("KAZ", MemberStatus.Signatory, 1), Events.Status("KAZ", MemberStatus.Member, 2)]));
        var cache = CacheOf(_store);
        var first = await _store.ReadStreamAsync("member-KAZ");
        Assert.Equal((0, 1), (cache.Hits, cache.Misses));

        await _store.AppendAsync(new AppendRequest("member-KAZ", 2, [Events.Status("KAZ", MemberStatus.Suspended, 3)]));
        await _store.AppendAsync(new AppendRequest("member-RUS", ExpectedVersion.Any, [Events.Status("RUS", MemberStatus.Member, 1)]));
        var again = await _store.ReadStreamAsync("member-KAZ");

        Assert.Equal((1, 1), (cache.Hits, cache.Misses));
        Assert.Equal([1L, 2L, 3L], again.Select(r => r.StreamVersion));
        Assert.Equal(MemberStatus.Suspended, ((MemberStatusChanged)Csto.Kernel.EventTypes.Parse(again[2])!).NewStatus);
        Assert.Same(first[0], again[0]); // the prefix was not read again
        Assert.Equal([2L, 3L], (await _store.ReadStreamAsync("member-KAZ", 2)).Select(r => r.StreamVersion));
        Assert.Empty(await _store.ReadStreamAsync("member-KAZ", 4));
        Assert.Empty(await _store.ReadStreamAsync("member-ARM"));
        Assert.Equal(3, cache.Count); // KAZ's three; RUS was never read, ARM is empty
    }

    [Fact]
    public async Task Another_instance_reads_what_this_one_appended_to_a_stream_it_has_cached()
    {
        if (OpenAnotherInstance() is not { } other)
        {
            return; // one SQLite file has one instance
        }

        await _store.AppendAsync(new AppendRequest("roster-UZB", ExpectedVersion.NoStream, [Events.Status("UZB", MemberStatus.Member, 1)]));
        Assert.Single(await other.ReadStreamAsync("roster-UZB"));
        await _store.AppendAsync(new AppendRequest("roster-UZB", 1, [Events.Status("UZB", MemberStatus.Suspended, 2)]));

        var seen = await other.ReadStreamAsync("roster-UZB");

        Assert.Equal([1L, 2L], seen.Select(r => r.StreamVersion));
        Assert.Equal(1, CacheOf(other).Hits);
        // and it writes at the version it read: the cache never hands a write a stale expected version
        var next = await other.AppendAsync(new AppendRequest("roster-UZB", seen.Count, [Events.Status("UZB", MemberStatus.Member, 3)]));
        Assert.Equal(3, next.StreamVersion);
        Assert.Equal(3, (await _store.ReadStreamAsync("roster-UZB")).Count);
    }

    [Fact]
    public async Task The_last_position_of_some_types_covers_their_last_event_and_never_passes_the_head()
    {
        var status = MemberStatusChanged.Descriptor.FullName;
        var date = Csto.Common.V1.Date.Descriptor.FullName;
        await _store.AppendAsync(new AppendRequest("member-KAZ", ExpectedVersion.Any, [Events.Status("KAZ", MemberStatus.Member, 1), Events.Any(1)]));
        await _store.AppendAsync(new AppendRequest("member-RUS", ExpectedVersion.Any, [Events.Status("RUS", MemberStatus.Member, 1)]));
        await _store.AppendAsync(new AppendRequest("other", ExpectedVersion.Any, [Events.Any(2), Events.Any(3)]));

        Assert.InRange(await _store.ReadLastPositionOfTypesAsync([status], CancellationToken.None), 3, _store.HeadPosition);
        Assert.InRange(await _store.ReadLastPositionOfTypesAsync([date], CancellationToken.None), 5, _store.HeadPosition);
        Assert.InRange(await _store.ReadLastPositionOfTypesAsync([status, date], CancellationToken.None), 5, _store.HeadPosition);
        if (_store is SqliteEventStore)
        {
            // exact for what was appended since the log opened; a type never appended: the head at opening (here 0)
            Assert.Equal(3, await _store.ReadLastPositionOfTypesAsync([status], CancellationToken.None));
            Assert.Equal(0, await _store.ReadLastPositionOfTypesAsync(["csto.unknown.v1.Nothing"], CancellationToken.None));
            await CloseAsync();
            _store = Open();
            Assert.Equal(5, await _store.ReadLastPositionOfTypesAsync(["csto.unknown.v1.Nothing"], CancellationToken.None));
            await _store.AppendAsync(new AppendRequest("member-TJK", ExpectedVersion.Any, [Events.Status("TJK", MemberStatus.Member, 1)]));
            Assert.Equal(6, await _store.ReadLastPositionOfTypesAsync([status], CancellationToken.None));
        }
    }

    [Fact]
    public async Task The_log_reopens_with_its_head_and_stream_versions()
    {
        await _store.AppendAsync(new AppendRequest("member-KGZ", ExpectedVersion.Any, [Events.Status("KGZ", MemberStatus.Signatory, 1), Events.Status("KGZ", MemberStatus.Member, 2)]));
        await CloseAsync();
        _store = Open();

        Assert.Equal(2, _store.HeadPosition);
        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => _store.AppendAsync(new AppendRequest("member-KGZ", 1, [Events.Any(0)])));
        var ok = await _store.AppendAsync(new AppendRequest("member-KGZ", 2, [Events.Any(0)]));
        Assert.Equal(3, ok.StreamVersion);
    }
}

public sealed class SqliteStoreTests : StoreContract
{
    readonly TempDir _dir = new();

    protected override IEventStore Open() => new SqliteEventStore(Path.Combine(_dir.Path, "log.db"), "test");

    protected override Task CleanUpAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class PostgresStoreTests : StoreContract
{
    // the records say "test" as their source in both fixtures: the schema name is the part that differs per test
    readonly string _service = TestPostgres.NewServiceName();
    readonly List<IEventStore> _others = [];

    protected override IEventStore Open() => PostgresEventStore.Open(TestPostgres.ConnectionString, _service);

    protected override IEventStore? OpenAnotherInstance()
    {
        var store = Open();
        _others.Add(store);
        return store;
    }

    protected override async Task CleanUpAsync()
    {
        foreach (var other in _others)
        {
            await ((IAsyncDisposable)other).DisposeAsync();
        }

        await TestPostgres.DropAsync(_service);
    }
}
