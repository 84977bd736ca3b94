using Csto.EventLog;
using Csto.EventLog.V1;
using Google.Protobuf;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>
/// The stream cache's rules against a log kept in a list, where every read from the "database" is counted: what it
/// holds, what it drops, and that a prefix it cannot trust is read again whole (the stores' contract tests run it
/// against SQLite and PostgreSQL).
/// </summary>
public sealed class StreamCacheTests
{
    readonly Dictionary<string, List<EventRecord>> _log = [];
    readonly List<(string Stream, long From)> _reads = [];

    void Append(string stream, int count, bool known = false)
    {
        var records = _log.TryGetValue(stream, out var r) ? r : _log[stream] = [];
        for (var i = 0; i < count; i++)
        {
            records.Add(known
                ? new EventRecord { StreamId = stream, StreamVersion = records.Count + 1, EventId = Guid.NewGuid().ToString(), Type = Csto.Common.V1.Date.Descriptor.FullName, Data = Csto.Common.V1.Date.From(new DateOnly(2030, 1, 1 + i)).ToByteString() }
                : new EventRecord { StreamId = stream, StreamVersion = records.Count + 1, EventId = Guid.NewGuid().ToString(), Type = "unknown.Type" });
        }
    }

    [Fact]
    public async Task Only_held_records_keep_their_parsed_event()
    {
        // a kept event is parsed once for every fold while its record is held; one kept for a record read once would
        // only cost the collector (a dependent handle per record)
        var cache = new StreamCache { Capacity = 8 };
        Append("held", 4, known: true);
        Append("other", 4, known: true);
        Append("once", 4, known: true);
        var held = await Read(cache, "held");
        await Read(cache, "other");
        var once = await Read(cache, "once"); // full: not let in

        Assert.Same(Kernel.EventTypes.Parse(held[0]), Kernel.EventTypes.Parse(held[0]));
        Assert.NotSame(Kernel.EventTypes.Parse(once[0]), Kernel.EventTypes.Parse(once[0]));
        Assert.Equal(Kernel.EventTypes.Parse(held[0]), Kernel.EventTypes.Parse(once[0])); // the same event, parsed again
    }

    Task<IReadOnlyList<EventRecord>> Read(StreamCache cache, string stream, long from = 1) =>
        cache.ReadAsync(stream, from, (v, _) =>
        {
            _reads.Add((stream, v));
            IReadOnlyList<EventRecord> found = _log.TryGetValue(stream, out var r) ? [.. r.Where(e => e.StreamVersion >= v)] : [];
            return Task.FromResult(found);
        }, CancellationToken.None);

    [Fact]
    public async Task A_cached_stream_is_read_from_the_database_only_after_its_last_cached_version()
    {
        var cache = new StreamCache();
        Append("a", 3);
        await Read(cache, "a");
        Append("a", 2);

        var all = await Read(cache, "a");

        Assert.Equal([("a", 1L), ("a", 4L)], _reads);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], all.Select(r => r.StreamVersion));
        Assert.Equal([4L, 5L], (await Read(cache, "a", 4)).Select(r => r.StreamVersion));
        Assert.Equal(5, cache.Count);
    }

    [Fact]
    public async Task A_read_of_only_the_end_after_the_held_prefix_reads_that_end_and_copies_nothing_held()
    {
        // a write continuing the state it folded before asks for the records after it: on a long held stream, extending
        // the held prefix would copy the whole stream on every write
        var cache = new StreamCache();
        Append("a", 3);
        var held = await Read(cache, "a");
        Append("a", 2);
        _reads.Clear();

        var end = await Read(cache, "a", 4);

        Assert.Equal([("a", 4L)], _reads);
        Assert.Equal([4L, 5L], end.Select(r => r.StreamVersion));
        Assert.Equal(3, cache.Count);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], (await Read(cache, "a")).Select(r => r.StreamVersion)); // from the start: extended
        Assert.Same(held[0], (await Read(cache, "a"))[0]);
    }

    [Fact]
    public async Task When_full_a_stream_read_again_is_let_in_and_others_are_dropped_until_the_records_fit_never_the_one_just_read()
    {
        var cache = new StreamCache(new Random(7)) { Capacity = 10 };
        Append("a", 4);
        Append("b", 4);
        Append("c", 4);
        await Read(cache, "a");
        await Read(cache, "b");
        await Read(cache, "c"); // 12 > 10 and c was not read lately: not let in
        Assert.Equal(8, cache.Count);
        await Read(cache, "c"); // read again: a or b goes, c stays
        _reads.Clear();

        await Read(cache, "c");
        Assert.Equal([("c", 5L)], _reads);
        Assert.Equal(8, cache.Count);
    }

    [Fact]
    public async Task When_full_streams_read_once_each_are_not_let_in_and_drop_nothing()
    {
        // an operation's totals at random among many: each stream read once would otherwise drop a held one per read
        var cache = new StreamCache(new Random(3)) { Capacity = 10 };
        Append("a", 4);
        Append("b", 4);
        await Read(cache, "a");
        await Read(cache, "b");
        for (var i = 0; i < 200; i++)
        {
            Append("once-" + i, 4);
            await Read(cache, "once-" + i);
        }

        _reads.Clear();
        await Read(cache, "a");
        await Read(cache, "b");

        Assert.Equal([("a", 5L), ("b", 5L)], _reads);
        Assert.Equal(8, cache.Count);

        // one of them read again while remembered is let in, dropping a held stream at random
        await Read(cache, "once-199");
        await Read(cache, "once-199");
        _reads.Clear();
        await Read(cache, "once-199");
        Assert.Equal([("once-199", 5L)], _reads);
        Assert.Equal(8, cache.Count);
    }

    [Fact]
    public async Task Writers_taking_turns_on_more_streams_than_fit_still_hit()
    {
        // 64 callers each on its own stream, in turn: dropping the least recently used would miss every time
        var cache = new StreamCache(new Random(11)) { Capacity = 30 };
        for (var s = 0; s < 5; s++)
        {
            Append("s" + s, 10);
        }

        for (var round = 0; round < 20; round++)
        {
            for (var s = 0; s < 5; s++)
            {
                await Read(cache, "s" + s);
            }
        }

        Assert.True(cache.Hits >= 20, $"{cache.Hits} hits of 100 reads (least recently used: 0)");
        Assert.True(cache.Count <= 30);
    }

    [Fact]
    public async Task A_stream_longer_than_the_capacity_is_never_cached_and_capacity_zero_caches_nothing()
    {
        var cache = new StreamCache { Capacity = 3 };
        Append("long", 4);
        await Read(cache, "long");
        await Read(cache, "long");
        Assert.Equal([("long", 1L), ("long", 1L)], _reads);
        Assert.Equal(0, cache.Count);

        var off = new StreamCache { Capacity = 0 };
        Append("short", 1);
        _reads.Clear();
        await Read(off, "short");
        await Read(off, "short", 1);
        Assert.Equal([("short", 1L), ("short", 1L)], _reads);
    }

    [Fact]
    public async Task A_tail_that_does_not_follow_the_cached_prefix_drops_it_and_reads_the_stream_whole()
    {
        var cache = new StreamCache();
        Append("a", 2);
        await Read(cache, "a");
        // not an append-only log any more (a file replaced under the service): versions 3.. do not follow what was cached
        _log["a"] = [.. _log["a"].Select(r => r.Clone())];
        _log["a"].RemoveAt(1);
        Append("a", 1);
        _log["a"][^1].StreamVersion = 4;

        var all = await Read(cache, "a");

        Assert.Equal([("a", 1L), ("a", 3L), ("a", 1L)], _reads);
        Assert.Equal([1L, 4L], all.Select(r => r.StreamVersion));
        Assert.Equal(0, cache.Count); // a stream with a gap is not cached
        Assert.Equal(2, cache.Misses);
    }
}
