using Csto.EventLog.V1;
using Google.Protobuf;
using Npgsql;

namespace Csto.EventLog;

public sealed partial class PostgresEventStore
{
    /// <summary>What the database held for one append when the batch locked the head.</summary>
    sealed class Found
    {
        public bool InboxExists { get; set; }

        public Dictionary<string, (long Position, string Stream, long Version)> Events { get; } = new(StringComparer.Ordinal);

        public long Version { get; set; }
    }

    /// <summary>
    /// The batch so far, in memory: the rows it will insert and what they change (head, stream versions, event ids, inbox
    /// entries), so each append is decided against the database plus the appends before it in the batch. A refused
    /// append adds nothing, so it fails alone.
    /// </summary>
    sealed class BatchState(long head)
    {
        readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
        readonly Dictionary<string, (long Position, string Stream, long Version)> _events = new(StringComparer.Ordinal);
        readonly HashSet<(string, string)> _inbox = [];
        readonly List<long> _positions = [];
        readonly List<string> _streams = [];
        readonly List<long> _streamVersions = [];
        readonly List<string> _ids = [];
        readonly List<string> _types = [];
        readonly List<byte[]> _data = [];
        readonly List<byte[]> _metadata = [];
        readonly List<InboxEntry> _entries = [];
        readonly long _start = head;

        public long Head { get; private set; } = head;

        public bool HasWrites => _ids.Count > 0 || _entries.Count > 0;

        public AppendResult Decide(AppendRequest request, Found found)
        {
            var current = _versions.TryGetValue(request.StreamId, out var v) ? v : found.Version;
            if (request.Inbox is { } inbox && (found.InboxExists || _inbox.Contains((inbox.Consumer, inbox.SourceEventId))))
            {
                return new AppendResult(AppendOutcome.DuplicateInbox, current, 0, 0);
            }

            foreach (var e in request.Events)
            {
                if (_events.TryGetValue(e.EventId, out var earlier))
                {
                    found.Events[e.EventId] = earlier;
                }
            }

            AppendResult result;
            if (found.Events.Count > 0)
            {
                result = Existing(request, found.Events);
            }
            else
            {
                if (request.ExpectedVersion != ExpectedVersion.Any && request.ExpectedVersion != current)
                {
                    throw new WrongExpectedVersionException(request.StreamId, request.ExpectedVersion, current);
                }

                var first = Head + 1;
                foreach (var e in request.Events)
                {
                    Head++;
                    current++;
                    _positions.Add(Head);
                    _streams.Add(request.StreamId);
                    _streamVersions.Add(current);
                    _ids.Add(e.EventId);
                    _types.Add(e.Type);
                    _data.Add(e.Data.ToByteArray());
                    _metadata.Add((e.Metadata ?? new EventMetadata()).ToByteArray());
                    _events[e.EventId] = (Head, request.StreamId, current);
                }

                _versions[request.StreamId] = current;
                result = request.Events.Count == 0
                    ? new AppendResult(AppendOutcome.Appended, current, 0, 0)
                    : new AppendResult(AppendOutcome.Appended, current, first, Head);
            }

            if (request.Inbox is { } entry)
            {
                _inbox.Add((entry.Consumer, entry.SourceEventId));
                _entries.Add(entry);
            }

            return result;
        }

        /// <summary>Every row of the batch in two INSERTs, then the head moved and the new head notified (delivered at commit).</summary>
        public NpgsqlBatch Writes(NpgsqlConnection connection, NpgsqlTransaction tx, string channel, long micros)
        {
            var batch = new NpgsqlBatch(connection, tx);
            if (_ids.Count > 0)
            {
                batch.BatchCommands.Add(Command(
                    "INSERT INTO events(position, stream_id, stream_version, event_id, type, data, recorded_at, metadata) " +
                    "SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bytea[], array_fill($7::bigint, ARRAY[$9::int]), $8::bytea[])",
                    _positions.ToArray(), _streams.ToArray(), _streamVersions.ToArray(), _ids.ToArray(), _types.ToArray(), _data.ToArray(), micros, _metadata.ToArray(), _ids.Count));
            }

            if (_entries.Count > 0)
            {
                batch.BatchCommands.Add(Command(
                    "INSERT INTO inbox(consumer, event_id, source_service, source_position, processed_at) " +
                    "SELECT c, e, s, p, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS x(c, e, s, p)",
                    _entries.Select(x => x.Consumer).ToArray(), _entries.Select(x => x.SourceEventId).ToArray(),
                    _entries.Select(x => x.SourceService).ToArray(), _entries.Select(x => x.SourcePosition).ToArray(),
                    DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            }

            if (Head != _start)
            {
                batch.BatchCommands.Add(Command("UPDATE head SET position = $1 WHERE id = 1", Head));
                batch.BatchCommands.Add(Command("SELECT pg_notify($1, $2)", channel, Head.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            return batch;
        }
    }
}
