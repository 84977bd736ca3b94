using System.Collections;
using Csto.EventLog.Api;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Csto.EventLog.Security;

/// <summary>
/// One place for the size limits of every request: string lengths and repeated-field sizes anywhere in the
/// message (INVALID_ARGUMENT naming the field), and page_size (negative INVALID_ARGUMENT, too large coerced down).
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
                        Item($"{name}[{entry.Key}]", entry.Key);
                        Item($"{name}[{entry.Key}]", entry.Value);
                    }

                    break;
                case IList list when field.IsRepeated:
                    CheckCount(name, list.Count);
                    for (var i = 0; i < list.Count; i++)
                    {
                        Item($"{name}[{i}]", list[i]);
                    }

                    break;
                default:
                    Item(name, value);
                    break;
            }
        }
    }

    void Item(string name, object? value)
    {
        switch (value)
        {
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

/// <summary>Counts the follow streams of each caller; RESOURCE_EXHAUSTED above the limit.</summary>
public sealed class FollowStreamLimiter(LimitsOptions limits)
{
    readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);

    public IDisposable Acquire(string caller)
    {
        lock (_open)
        {
            var n = _open.GetValueOrDefault(caller);
            if (n >= limits.MaxFollowStreamsPerCaller)
            {
                throw RpcErrors.ResourceExhausted("TOO_MANY_FOLLOW_STREAMS", $"at most {limits.MaxFollowStreamsPerCaller} concurrent follow streams per caller; '{caller}' has {n} open", new Dictionary<string, string>(StringComparer.Ordinal) { ["limit"] = limits.MaxFollowStreamsPerCaller.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }

            _open[caller] = n + 1;
        }

        return new Slot(this, caller);
    }

    public int OpenFor(string caller)
    {
        lock (_open)
        {
            return _open.GetValueOrDefault(caller);
        }
    }

    void Release(string caller)
    {
        lock (_open)
        {
            if (_open.TryGetValue(caller, out var n))
            {
                if (n <= 1)
                {
                    _open.Remove(caller);
                }
                else
                {
                    _open[caller] = n - 1;
                }
            }
        }
    }

    sealed class Slot(FollowStreamLimiter owner, string caller) : IDisposable
    {
        int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(caller);
            }
        }
    }
}
