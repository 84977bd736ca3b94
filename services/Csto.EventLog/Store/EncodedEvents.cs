using System.Buffers;
using Csto.EventLog.V1;
using Google.Protobuf;

namespace Csto.EventLog;

/// <summary>
/// One <c>StreamEventsResponse</c> carrying an <c>EventBatch</c>, already in protobuf wire form: StreamEvents writes
/// these bytes as they are. A store encodes them from its columns (<see cref="EventBatchEncoder"/>), so a replay neither
/// parses each record's stored metadata nor serializes it again; the bytes are those the generated serializer writes for
/// the same records (the tests compare them).
/// </summary>
public sealed class EncodedEvents(byte[] bytes, int offset, int length, int count, long lastPosition, bool pooled = false) : IDisposable
{
    byte[]? _pooled = pooled ? bytes : null;

    public EncodedEvents(byte[] bytes, int count, long lastPosition)
        : this(bytes, 0, bytes.Length, count, lastPosition)
    {
    }

    public ReadOnlyMemory<byte> Bytes { get; } = bytes.AsMemory(offset, length);

    /// <summary>Gives a pooled buffer back once the bytes are written (StreamEvents does after each message).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _pooled, null) is { } array)
        {
            EventBatchEncoder.Pool.Return(array);
        }
    }

    public int Count { get; } = count;

    public long LastPosition { get; } = lastPosition;

    /// <summary>Encodes records already read (a store without its own encoding): the generated serializer.</summary>
    public static EncodedEvents Of(IReadOnlyList<EventRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var message = new StreamEventsResponse { Events = new EventBatch() };
        message.Events.Records.AddRange(records);
        return From(message);
    }

    /// <summary>A response without records (a checkpoint, the caught-up marker), serialized as generated.</summary>
    public static EncodedEvents From(StreamEventsResponse message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new EncodedEvents(message.ToByteArray(), message.Events?.Records.Count ?? 0, message.Events is { Records.Count: > 0 } e ? e.Records[^1].Position : 0);
    }

    /// <summary>The gRPC marshaller of StreamEvents' responses when they are written from the encoded bytes.</summary>
    public static readonly Grpc.Core.Marshaller<EncodedEvents> Marshaller = Grpc.Core.Marshallers.Create<EncodedEvents>(
        (encoded, context) =>
        {
            var span = encoded.Bytes.Span;
            context.SetPayloadLength(span.Length);
            var writer = context.GetBufferWriter();
            span.CopyTo(writer.GetSpan(span.Length));
            writer.Advance(span.Length);
            context.Complete();
        },
        _ => throw new NotSupportedException("encoded StreamEvents responses are written by the server only; a client parses StreamEventsResponse"));
}

/// <summary>A read of the log as encoded responses: <see cref="Events"/> is null when no record matched up to <see cref="ScannedTo"/>.</summary>
public sealed record EncodedSlice(EncodedEvents? Events, long ScannedTo);

/// <summary>
/// Writes <c>StreamEventsResponse { events: EventBatch { records } }</c> from stored columns as they are read: the
/// strings as their UTF-8 bytes, the data and the metadata as the stored protobuf bytes, fields in number order and proto3
/// defaults left out, as the generated serializer does. Each row is written when it is added (nothing of it is held), into
/// a pooled buffer that leaves room in front for the batch's length.
/// </summary>
public sealed class EventBatchEncoder(string sourceService) : IDisposable
{
    /// <summary>
    /// The encoders' own pool, which keeps at most four buffers of each size. The shared pool keeps one per thread and
    /// more per core, and a heap dump after StreamEvents of 1 M events in batches of 5,000 found eleven 4 MB buffers
    /// (46 MB) held in it.
    /// </summary>
    internal static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: 16 * 1024 * 1024, maxArraysPerBucket: 4);

    const int LengthDelimited = 2;
    const int Front = 6; // the batch's tag and the longest varint of an int length

    readonly byte[] _source = System.Text.Encoding.UTF8.GetBytes(sourceService);
    byte[]? _buffer;
    int _at = Front;

    public int Count { get; private set; }

    public long LastPosition { get; private set; }

    /// <summary>Adds one stored record: text columns as UTF-8 bytes, recorded_at in microseconds since the epoch.</summary>
    public void Add(long position, ReadOnlySpan<byte> streamId, long streamVersion, ReadOnlySpan<byte> eventId, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data, long recordedAtMicros, ReadOnlySpan<byte> metadata)
    {
        var timestamp = TimestampSize(recordedAtMicros);
        var size = Int64Field(position) + BytesField(streamId) + Int64Field(streamVersion) + BytesField(eventId) + BytesField(type) + BytesField(data)
            + MessageField(timestamp) + MessageField(metadata.Length) + BytesField(_source);
        var span = Reserve(MessageField(size));
        var at = 0;
        WriteTag(span, ref at, 1, LengthDelimited); // EventBatch.records
        WriteVarint(span, ref at, (ulong)size);
        WriteInt64(span, ref at, 1, position);
        WriteBytes(span, ref at, 2, streamId);
        WriteInt64(span, ref at, 3, streamVersion);
        WriteBytes(span, ref at, 4, eventId);
        WriteBytes(span, ref at, 5, type);
        WriteBytes(span, ref at, 6, data);
        var (seconds, nanos) = Split(recordedAtMicros);
        WriteTag(span, ref at, 7, LengthDelimited); // recorded_at: always set
        WriteVarint(span, ref at, (ulong)timestamp);
        WriteInt64(span, ref at, 1, seconds);
        WriteInt64(span, ref at, 2, nanos);
        WriteTag(span, ref at, 8, LengthDelimited); // metadata: always set, possibly empty
        WriteVarint(span, ref at, (ulong)metadata.Length);
        metadata.CopyTo(span[at..]);
        at += metadata.Length;
        WriteBytes(span, ref at, 9, _source);
        if (at != span.Length)
        {
            throw new InvalidOperationException($"encoded {at} bytes of a record of {span.Length}");
        }

        _at += at;
        Count++;
        LastPosition = position;
    }

    /// <summary>The encoded response of the rows added (null when none was); the encoder is empty again after it.</summary>
    public EncodedEvents? Build()
    {
        if (Count == 0 || _buffer is null)
        {
            return null;
        }

        var batch = _at - Front;
        var start = Front - 1 - VarintSize((ulong)batch);
        var at = start;
        WriteTag(_buffer, ref at, 1, LengthDelimited); // StreamEventsResponse.events
        WriteVarint(_buffer, ref at, (ulong)batch);
        var encoded = new EncodedEvents(_buffer, start, _at - start, Count, LastPosition, pooled: true);
        _buffer = null;
        _at = Front;
        Count = 0;
        LastPosition = 0;
        return encoded;
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            EventBatchEncoder.Pool.Return(buffer);
        }
    }

    Span<byte> Reserve(int length)
    {
        if (_buffer is null || _buffer.Length - _at < length)
        {
            // a batch of thousands is a large-object-heap array: rented, and given back once written
            var grown = EventBatchEncoder.Pool.Rent(Math.Max(Math.Max(64 * 1024, _at + length), (_buffer?.Length ?? 0) * 2));
            if (_buffer is { } old)
            {
                old.AsSpan(0, _at).CopyTo(grown);
                EventBatchEncoder.Pool.Return(old);
            }

            _buffer = grown;
        }

        return _buffer.AsSpan(_at, length);
    }

    static (long Seconds, long Nanos) Split(long micros) => (micros / 1_000_000, micros % 1_000_000 * 1000);

    static int TimestampSize(long micros)
    {
        var (seconds, nanos) = Split(micros);
        return Int64Field(seconds) + Int64Field(nanos);
    }

    // proto3: a zero number and an empty string or bytes are not written
    static int Int64Field(long value) => value == 0 ? 0 : 1 + VarintSize((ulong)value);

    static int BytesField(ReadOnlySpan<byte> value) => value.Length == 0 ? 0 : MessageField(value.Length);

    // a message field that is set is written even when empty
    static int MessageField(int length) => 1 + VarintSize((ulong)length) + length;

    static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    static void WriteTag(Span<byte> span, ref int at, int field, int wireType) => WriteVarint(span, ref at, (ulong)((field << 3) | wireType));

    static void WriteVarint(Span<byte> span, ref int at, ulong value)
    {
        while (value >= 0x80)
        {
            span[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[at++] = (byte)value;
    }

    static void WriteInt64(Span<byte> span, ref int at, int field, long value)
    {
        if (value != 0)
        {
            WriteTag(span, ref at, field, 0);
            WriteVarint(span, ref at, (ulong)value);
        }
    }

    static void WriteBytes(Span<byte> span, ref int at, int field, ReadOnlySpan<byte> value)
    {
        if (value.Length != 0)
        {
            WriteTag(span, ref at, field, LengthDelimited);
            WriteVarint(span, ref at, (ulong)value.Length);
            value.CopyTo(span[at..]);
            at += value.Length;
        }
    }
}
