using Csto.EventLog.V1;

namespace Csto.EventLog.Commands;

/// <summary>
/// The last state the command path folded for each long stream (per state type), so that the next write on that stream
/// folds only the records appended since (<see cref="Command{TState}.FoldFrom"/>): a party with hundreds of status
/// periods or an operation with hundreds of reports no longer costs a fold of its whole history on every write.
/// <para>
/// A held state is used only for the same prefix of the stream: the records a write reads must hold at least as many
/// records, and the record at the held count must be the one the state was folded to (its event id). A stream is
/// append-only with versions 1..n, so that prefix is the same history, on any instance of a shared database. States are
/// immutable once built (the folds build new records and immutable collections), so a write can use one while another
/// replaces it. Streams shorter than <see cref="MinimumRecords"/> are folded whole (cheap); at most
/// <see cref="Capacity"/> states are held, dropped at random when full (see <see cref="StreamCache"/> for why not LRU).
/// </para>
/// </summary>
public sealed class FoldedStates
{
    public const int MinimumRecords = 16;

    public const int DefaultCapacity = 256;

    readonly object _gate = new();
    readonly Dictionary<(string Stream, Type State), Entry> _entries = [];
    readonly List<(string Stream, Type State)> _keys = [];
    readonly Random _random;

    public FoldedStates(int capacity = DefaultCapacity, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        _random = random ?? Random.Shared;
    }

    public int Capacity { get; }

    /// <summary>States held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Folds that continued a held state, and folds of a whole stream.</summary>
    public long Continued => Interlocked.Read(ref _continued);

    public long Whole => Interlocked.Read(ref _whole);

    long _continued;
    long _whole;

    sealed record Entry(long Count, string LastEventId, object? State, int Index)
    {
        public int Index { get; set; } = Index;
    }

    /// <summary>The state held for the command's stream (and state type): folded from its first <c>Count</c> records, the last of them <c>LastEventId</c>.</summary>
    public bool TryGet<TState>(Command<TState> command, out (long Count, string LastEventId, TState State) held)
    {
        ArgumentNullException.ThrowIfNull(command);
        Entry? entry = null;
        if (command.FoldFrom is not null && Capacity > 0)
        {
            lock (_gate)
            {
                _entries.TryGetValue((command.Stream, typeof(TState)), out entry);
            }
        }

        if (entry is { State: TState state })
        {
            held = (entry.Count, entry.LastEventId, state);
            return true;
        }

        held = default;
        return false;
    }

    /// <summary>The state of <paramref name="records"/> (the whole stream, from version 1) as <paramref name="command"/> folds it.</summary>
    public TState Fold<TState>(Command<TState> command, IReadOnlyList<EventRecord> records)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(records);
        if (command.FoldFrom is not { } foldFrom || Capacity == 0 || records.Count < MinimumRecords)
        {
            return command.Fold(records);
        }

        TState state;
        if (TryGet(command, out var held) && held.Count <= records.Count
            && string.Equals(records[(int)held.Count - 1].EventId, held.LastEventId, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _continued);
            state = held.Count == records.Count ? held.State : foldFrom(held.State, [.. records.Skip((int)held.Count)]);
        }
        else
        {
            Interlocked.Increment(ref _whole);
            state = command.Fold(records);
        }

        Put((command.Stream, typeof(TState)), records.Count, records[^1].EventId, state);
        return state;
    }

    /// <summary>
    /// The state of the stream continued from <paramref name="prior"/>, the state of its first <paramref name="count"/>
    /// records, with <paramref name="added"/>, the records after them; held for the next write.
    /// </summary>
    public TState Continue<TState>(Command<TState> command, TState prior, long count, IReadOnlyList<EventRecord> added)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(added);
        if (command.FoldFrom is not { } foldFrom)
        {
            throw new InvalidOperationException("the command has no continued fold");
        }

        Interlocked.Increment(ref _continued);
        if (added.Count == 0)
        {
            return prior;
        }

        var state = foldFrom(prior, added);
        Put((command.Stream, typeof(TState)), count + added.Count, added[^1].EventId, state);
        return state;
    }

    void Put((string Stream, Type State) key, long count, string lastEventId, object? state)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                if (entry.Count <= count)
                {
                    _entries[key] = new Entry(count, lastEventId, state, entry.Index);
                }

                return;
            }

            if (_entries.Count >= Capacity)
            {
                var victim = _random.Next(_keys.Count);
                var dropped = _keys[victim];
                _entries.Remove(dropped);
                var last = _keys[^1];
                _keys[victim] = last;
                _keys.RemoveAt(_keys.Count - 1);
                if (victim < _keys.Count)
                {
                    _entries[last].Index = victim;
                }
            }

            _entries[key] = new Entry(count, lastEventId, state, _keys.Count);
            _keys.Add(key);
        }
    }
}
