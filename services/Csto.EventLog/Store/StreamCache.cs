using Csto.EventLog.V1;

namespace Csto.EventLog;

/// <summary>
/// The streams this process read last, kept in memory, so that reading a stream again (every write folds its stream,
/// every consumer folds the roster stream of a party) asks the database only for what was appended since: a stream of
/// n events costs one index seek and the new rows instead of n rows and n parses per write (the events of a cached
/// record are parsed once, <see cref="Kernel.EventTypes.Keep"/>).
/// <para>
/// Correct with several instances on one database (PostgreSQL) because a stream is append-only and its versions are
/// 1..n without gaps: the cached records are a prefix of the stream, and every read still asks the database for the rest
/// (a tail that does not start right after the prefix drops the entry and reads the stream whole). Entries are immutable
/// arrays, so a caller can hold one while the cache moves on. At most <see cref="Capacity"/> records are held; a stream
/// longer than that is never cached; capacity 0 turns the cache off.
/// </para>
/// <para>
/// When it is full, streams are dropped at random, not the least recently used: writers that take turns on more
/// streams than fit (64 callers, each on its own state) would otherwise drop every stream just before it is read again
/// and never hit, while at random a share still hits (a quarter with 3 streams of 5 fitting: StreamCacheTests).
/// </para>
/// <para>
/// When it is full, a stream read for the first time is not let in: only one read again while its id is still among the
/// last <see cref="RememberedIds"/> ids that missed or were dropped. Queries over many streams read once each (an
/// operation's totals at random among 45,000) would otherwise drop a stream for every read and keep records alive just
/// long enough to die in the oldest generation: a profile at 1 M events found three full collections and 152 ms of
/// pauses per second of such queries, the p99 tail. A stream read again (every writer's, every hot query's) is let in on
/// its second read.
/// </para>
/// </summary>
public sealed class StreamCache
{
    /// <summary>The default of <c>EventLog:StreamCacheRecords</c>.</summary>
    public const int DefaultCapacity = 10_000;

    /// <summary>How many ids of streams that missed or were dropped are remembered, to let them in when read again.</summary>
    public const int RememberedIds = 4096;

    readonly HashSet<string> _remembered = new(StringComparer.Ordinal);
    readonly Queue<string> _rememberedOrder = new();

    readonly object _gate = new();
    readonly Dictionary<string, Entry> _streams = new(StringComparer.Ordinal);
    readonly List<string> _ids = [];
    readonly Random _random;
    int _records;
    int _capacity = DefaultCapacity;

    /// <param name="random">What picks the stream to drop when full (a seeded one in tests).</param>
    public StreamCache(Random? random = null) => _random = random ?? Random.Shared;

    sealed class Entry(EventRecord[] records, int index)
    {
        public EventRecord[] Records { get; set; } = records;

        /// <summary>Where its id is in the list the random choice picks from.</summary>
        public int Index { get; set; } = index;
    }

    /// <summary>Records held at most (the sum over the cached streams); 0 turns the cache off.</summary>
    public int Capacity
    {
        get => _capacity;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (_gate)
            {
                _capacity = value;
                Trim();
            }
        }
    }

    /// <summary>Records held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _records;
            }
        }
    }

    /// <summary>Reads hit the cache (only the tail came from the database) and missed it.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    long _hits;
    long _misses;

    /// <summary>
    /// The records of <paramref name="streamId"/> from <paramref name="fromVersion"/>, from the cached prefix and what
    /// <paramref name="readFrom"/> (the database's read from a version, inclusive) returns after it.
    /// </summary>
    public async Task<IReadOnlyList<EventRecord>> ReadAsync(
        string streamId, long fromVersion, Func<long, CancellationToken, Task<IReadOnlyList<EventRecord>>> readFrom, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(readFrom);
        if (_capacity == 0)
        {
            return await readFrom(fromVersion, cancellationToken).ConfigureAwait(false);
        }

        var cached = Get(streamId);
        if (fromVersion > 1 && (cached is null || fromVersion > cached.Length))
        {
            // only the end of a stream, after what is held (a write continuing a state it folded before): that end is
            // the read. Not worth reading the whole stream into the cache, nor copying a long held prefix to extend it
            // on every write (the next read from the start extends it)
            if (cached is null)
            {
                Interlocked.Increment(ref _misses);
            }
            else
            {
                Interlocked.Increment(ref _hits);
            }

            return await readFrom(fromVersion, cancellationToken).ConfigureAwait(false);
        }

        EventRecord[] all;
        IReadOnlyList<EventRecord> read; // the records that came from the database now
        if (cached is null)
        {
            Interlocked.Increment(ref _misses);
            all = [.. read = await readFrom(1, cancellationToken).ConfigureAwait(false)];
        }
        else
        {
            read = await readFrom(cached.Length + 1, cancellationToken).ConfigureAwait(false);
            if (Follows(cached.Length, read))
            {
                Interlocked.Increment(ref _hits);
                all = read.Count == 0 ? cached : [.. cached, .. read];
            }
            else
            {
                // never expected of an append-only log; read it whole rather than trust the prefix
                Interlocked.Increment(ref _misses);
                Remove(streamId);
                all = [.. read = await readFrom(1, cancellationToken).ConfigureAwait(false)];
            }
        }

        if (all.Length > 0 && Follows(0, all) && Put(streamId, all, admit: cached is not null))
        {
            // parsed once for every fold while held; records that are not held are parsed by their one fold (a kept
            // message is a dependent handle that every collection scans until the table is cleaned, so only held
            // records get one)
            Kept(read);
        }

        return fromVersion <= 1 ? all : all.AsSpan((int)Math.Min(fromVersion - 1, all.Length)).ToArray();
    }

    /// <summary>Records parsed once, for every fold of them while they are cached (<see cref="Kernel.EventTypes.Keep"/>).</summary>
    static void Kept(IReadOnlyList<EventRecord> records)
    {
        foreach (var record in records)
        {
            Kernel.EventTypes.Keep(record);
        }
    }

    /// <summary>Versions known + 1, known + 2, … without a gap.</summary>
    static bool Follows(long known, IReadOnlyList<EventRecord> records)
    {
        for (var i = 0; i < records.Count; i++)
        {
            if (records[i].StreamVersion != known + 1 + i)
            {
                return false;
            }
        }

        return true;
    }

    EventRecord[]? Get(string streamId)
    {
        lock (_gate)
        {
            return _streams.TryGetValue(streamId, out var entry) ? entry.Records : null;
        }
    }

    /// <summary>Holds <paramref name="records"/> as the stream's prefix; false when they are not held.</summary>
    /// <param name="admit">The stream was held when the read began: it stays whatever the rest holds.</param>
    bool Put(string streamId, EventRecord[] records, bool admit)
    {
        lock (_gate)
        {
            if (records.Length > _capacity)
            {
                RemoveLocked(streamId);
                return false;
            }

            if (!admit && !_streams.ContainsKey(streamId) && _records + records.Length > _capacity && !_remembered.Remove(streamId))
            {
                Remember(streamId); // full, and not read lately: let in if it is read again soon
                return false;
            }

            if (_streams.TryGetValue(streamId, out var entry))
            {
                if (entry.Records.Length >= records.Length)
                {
                    return false; // a concurrent read already put this prefix or a longer one
                }

                _records += records.Length - entry.Records.Length;
                entry.Records = records;
            }
            else
            {
                _streams[streamId] = new Entry(records, _ids.Count);
                _ids.Add(streamId);
                _records += records.Length;
            }

            Trim(keep: streamId);
            return true;
        }
    }

    void Remove(string streamId)
    {
        lock (_gate)
        {
            RemoveLocked(streamId);
        }
    }

    void RemoveLocked(string streamId)
    {
        if (!_streams.Remove(streamId, out var entry))
        {
            return;
        }

        _records -= entry.Records.Length;
        // the last id takes the removed one's place in the list
        var last = _ids[^1];
        _ids[entry.Index] = last;
        if (_streams.TryGetValue(last, out var moved))
        {
            moved.Index = entry.Index;
        }

        _ids.RemoveAt(_ids.Count - 1);
    }

    void Trim(string? keep = null)
    {
        while (_records > _capacity && _ids.Count > 0)
        {
            var victim = _ids[_random.Next(_ids.Count)];
            if (string.Equals(victim, keep, StringComparison.Ordinal))
            {
                if (_ids.Count == 1)
                {
                    return;
                }

                continue;
            }

            RemoveLocked(victim);
            Remember(victim); // dropped while in use: let in again on its next read
        }
    }

    void Remember(string streamId)
    {
        if (!_remembered.Add(streamId))
        {
            return;
        }

        _rememberedOrder.Enqueue(streamId);
        while (_rememberedOrder.Count > RememberedIds)
        {
            _remembered.Remove(_rememberedOrder.Dequeue());
        }
    }
}
