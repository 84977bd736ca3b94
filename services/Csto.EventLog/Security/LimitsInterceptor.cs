using System.Collections;
using Csto.EventLog.Api;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Csto.EventLog.Security;

/// <summary>
/// One place for the size limits of every request: string lengths and repeated-field sizes anywhere in the
/// message, and enum numbers the API does not define (INVALID_ARGUMENT naming the field), and page_size (negative INVALID_ARGUMENT, too large coerced down).
/// </summary>
public sealed class LimitsInterceptor(LimitsOptions limits) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(request as IMessage);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(request as IMessage);
        return continuation(request, responseStream, context);
    }

    void Check(IMessage? request)
    {
        if (request is null)
        {
            return;
        }

        if (request.Descriptor.FindFieldByName("page_size") is { FieldType: FieldType.Int32, IsRepeated: false } pageSize)
        {
            var size = (int)pageSize.Accessor.GetValue(request);
            if (size < 0)
            {
                throw RpcErrors.InvalidArgument("page_size", "must not be negative");
            }

            if (size > limits.MaxPageSize)
            {
                pageSize.Accessor.SetValue(request, limits.MaxPageSize);
            }
        }

        Walk(request, "");
    }

    void Walk(IMessage message, string prefix)
    {
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            var name = prefix + field.Name;
            var value = field.Accessor.GetValue(message);
            switch (value)
            {
                case null:
                    break;
                case IDictionary map when field.IsMap:
                    CheckCount(name, map.Count);
                    foreach (DictionaryEntry entry in map)
                    {
                        Item(field.MessageType.FindFieldByNumber(1), $"{name}[{entry.Key}]", entry.Key);
                        Item(field.MessageType.FindFieldByNumber(2), $"{name}[{entry.Key}]", entry.Value);
                    }

                    break;
                case IList list when field.IsRepeated:
                    CheckCount(name, list.Count);
                    for (var i = 0; i < list.Count; i++)
                    {
                        Item(field, $"{name}[{i}]", list[i]);
                    }

                    break;
                default:
                    Item(field, name, value);
                    break;
            }
        }
    }

    void Item(FieldDescriptor field, string name, object? value)
    {
        switch (value)
        {
            case System.Enum when field.FieldType == FieldType.Enum && field.EnumType.FindValueByNumber(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)) is null:
                // a number the API does not define (a newer client, or a guess) is refused, never read as "unspecified" or matched by nothing
                throw RpcErrors.InvalidArgument(name, $"{Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)} is not a value of {field.EnumType.FullName} (one of {string.Join(", ", field.EnumType.Values.Select(v => v.Name))})");
            case string s when s.Length > limits.MaxStringLength:
                throw RpcErrors.InvalidArgument(name, $"at most {limits.MaxStringLength} characters (got {s.Length})");
            case IMessage m:
                Walk(m, name + ".");
                break;
        }
    }

    void CheckCount(string name, int count)
    {
        if (count > limits.MaxRepeatedCount)
        {
            throw RpcErrors.InvalidArgument(name, $"at most {limits.MaxRepeatedCount} items (got {count})");
        }
    }
}

/// <summary>
/// Counts the open StreamEvents: all of them against <see cref="LimitsOptions.MaxStreams"/> (the service's memory does not
/// follow the number of callers), and the follow streams of each caller (token subject) against
/// <see cref="LimitsOptions.MaxFollowStreamsPerCaller"/>. RESOURCE_EXHAUSTED above either.
/// </summary>
public sealed class StreamLimiter(LimitsOptions limits)
{
    readonly Dictionary<string, int> _following = new(StringComparer.Ordinal);
    int _open;
    int _stalled;
    long _lastCompaction;

    /// <summary>Streams open now, follow or not.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>The smallest message a stream is held to when the buffer budget is spent.</summary>
    public const int MinMessageBytes = 64 * 1024;

    long _buffered;

    /// <summary>Bytes of stream messages read and not yet written, all streams together.</summary>
    public long Buffered => Interlocked.Read(ref _buffered);

    /// <summary>
    /// How many records the next read of a stream takes: what it asked for, unless that would make a message larger than
    /// half of what is left of Limits:StreamBufferBytes (at least <see cref="MinMessageBytes"/>), at its records' average size.
    /// </summary>
    public int Batch(int requested, int bytesPerRecord)
    {
        var left = Math.Max(0, limits.StreamBufferBytes - Buffered);
        var bytes = Math.Max(MinMessageBytes, left / 2);
        return (int)Math.Clamp(bytes / Math.Max(1, bytesPerRecord), 1, requested);
    }

    public void Hold(long bytes) => Interlocked.Add(ref _buffered, bytes);

    public void Release(long bytes) => Interlocked.Add(ref _buffered, -bytes);

    public IDisposable Acquire(string caller, bool follow)
    {
        lock (_following)
        {
            if (_open >= limits.MaxStreams)
            {
                throw RpcErrors.ResourceExhausted("TOO_MANY_STREAMS", $"this service holds {_open} StreamEvents, its limit (Limits:MaxStreams {limits.MaxStreams}); retry later", Limit(limits.MaxStreams));
            }

            var n = follow ? _following.GetValueOrDefault(caller) : 0;
            if (follow && n >= limits.MaxFollowStreamsPerCaller)
            {
                throw RpcErrors.ResourceExhausted("TOO_MANY_FOLLOW_STREAMS", $"at most {limits.MaxFollowStreamsPerCaller} concurrent follow streams per caller; '{caller}' has {n} open", Limit(limits.MaxFollowStreamsPerCaller));
            }

            _open++;
            if (follow)
            {
                _following[caller] = n + 1;
            }
        }

        return new Slot(this, follow ? caller : null);
    }

    public int OpenFor(string caller)
    {
        lock (_following)
        {
            return _following.GetValueOrDefault(caller);
        }
    }

    static Dictionary<string, string> Limit(int limit) =>
        new(StringComparer.Ordinal) { ["limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    /// <summary>
    /// A stream of <paramref name="slot"/> that stalled: when the last stalled stream is gone, the memory the stalled streams
    /// held (their batches, Kestrel's buffers) is garbage, and a compacting collection gives it back to the system instead
    /// of leaving it to the next collections' budgets (at most once a minute: a rare event, not a habit).
    /// </summary>
    public void MarkStalled(IDisposable slot)
    {
        if (slot is Slot s && Interlocked.Exchange(ref s.Stalled, 1) == 0)
        {
            Interlocked.Increment(ref _stalled);
        }
    }

    void Release(string? caller, bool stalled)
    {
        if (stalled && Interlocked.Decrement(ref _stalled) == 0)
        {
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref _lastCompaction);
            if ((last == 0 || now - last > 60_000) && Interlocked.CompareExchange(ref _lastCompaction, now, last) == last)
            {
                _ = Task.Delay(TimeSpan.FromSeconds(10)).ContinueWith( // after the 5 s grace, when the reset streams have let go of Kestrel's buffers
                    _ =>
                    {
                        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
                        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    },
                    TaskScheduler.Default);
            }
        }

        lock (_following)
        {
            _open--;
            if (caller is not null && _following.TryGetValue(caller, out var n))
            {
                if (n <= 1)
                {
                    _following.Remove(caller);
                }
                else
                {
                    _following[caller] = n - 1;
                }
            }
        }
    }

    sealed class Slot(StreamLimiter owner, string? caller) : IDisposable
    {
        public int Stalled;
        int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(caller, Volatile.Read(ref Stalled) == 1);
            }
        }
    }
}
