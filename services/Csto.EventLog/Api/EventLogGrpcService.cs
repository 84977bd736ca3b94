using System.Globalization;
using Csto.EventLog.Projections;
using Csto.EventLog.Inbox;
using Csto.EventLog.Relay;
using Csto.EventLog.Security;
using Csto.EventLog.V1;
using Grpc.Core;

namespace Csto.EventLog.Api;

/// <summary>The replay API every service serves.</summary>
public sealed partial class EventLogGrpcService(IEventStore store, EventRelay relay, ProjectionRunner projections, StreamLimiter streams, LimitsOptions limits, Microsoft.Extensions.Logging.ILogger<EventLogGrpcService> logger, ErrorQueue errors, BrokerChannel broker, Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime, Security.SigningMode signing) : EventLogService.EventLogServiceBase
{
    const int DefaultBatch = 500;
    const int MaxBatch = 5000;
    const int DefaultPage = 100;
    const int MaxPage = 1000;

    /// <summary>StreamEvents as transcoded HTTP/JSON serves it: generated messages, each record read and parsed.</summary>
    public override Task StreamEvents(StreamEventsRequest request, IServerStreamWriter<StreamEventsResponse> responseStream, ServerCallContext context) =>
        StreamAsync(request, responseStream, context, async (from, to, filter, batch, ct) =>
        {
            var slice = await store.ReadAllAsync(from, to, filter, batch, ct).ConfigureAwait(false);
            var message = new StreamEventsResponse();
            if (slice.Records.Count > 0)
            {
                message.Events = new EventBatch();
                message.Events.Records.AddRange(slice.Records);
            }
            else
            {
                message.Checkpoint = new Checkpoint { Position = slice.ScannedTo };
            }

            return (message, slice.ScannedTo);
        }, head => new StreamEventsResponse { CaughtUp = new CaughtUp { HeadPosition = head } }, m => (m.CalculateSize(), m.Events?.Records.Count ?? 0));

    /// <summary>
    /// StreamEvents over gRPC (<see cref="EncodedStreamEventsService"/>): the same messages on the wire, written from the
    /// store's encoded batches, so the server neither builds the records nor parses and serializes their metadata again.
    /// </summary>
    public Task StreamEncodedEvents(StreamEventsRequest request, IServerStreamWriter<EncodedEvents> responseStream, ServerCallContext context) =>
        StreamAsync(request, responseStream, context, async (from, to, filter, batch, ct) =>
        {
            var slice = await store.ReadAllEncodedAsync(from, to, filter, batch, ct).ConfigureAwait(false);
            return (slice.Events ?? EncodedEvents.From(new StreamEventsResponse { Checkpoint = new Checkpoint { Position = slice.ScannedTo } }), slice.ScannedTo);
        }, head => EncodedEvents.From(new StreamEventsResponse { CaughtUp = new CaughtUp { HeadPosition = head } }), m => (m.Bytes.Length, m.Count));

    /// <summary>
    /// The read loop of StreamEvents: slices of the log from the request's position (the next read runs while the current
    /// one is written), the caught-up marker, then with follow the records as they are appended.
    /// </summary>
    async Task StreamAsync<TResponse>(
        StreamEventsRequest request,
        IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context,
        Func<long, long, ReadFilter, int, CancellationToken, Task<(TResponse Message, long ScannedTo)>> read,
        Func<long, TResponse> caughtUpAt,
        Func<TResponse, (int Bytes, int Records)> measure)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var (from, to, filter) = Validate(request.FromPosition, request.HasToPosition ? request.ToPosition : null, request.Filter);
        var batch = request.MaxBatchSize switch
        {
            < 0 => throw RpcErrors.InvalidArgument("max_batch_size", "must not be negative"),
            0 => DefaultBatch,
            > MaxBatch => MaxBatch,
            var n => n,
        };
        using var slot = streams.Acquire(Actors.CallerKey(context), request.Follow);
        // a follow stream ends when the service stops (SIGTERM): the client resumes from its last position elsewhere or later
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var ct = call.Token;
        var position = from;
        var caughtUp = false;
        // a catch-up read of the next slice runs while the current one is serialized and flushed
        Task<(TResponse Message, long ScannedTo)>? prefetch = null;
        // what this stream has read and not yet written counts against Limits:StreamBufferBytes: when streams that do
        // not read hold much of it, the others read smaller batches, so the memory of all streams stays bounded
        var perRecord = 0;
        long held = 0;
        async Task<(TResponse Message, long ScannedTo)> ReadAsync(long start, long stop)
        {
            var known = Volatile.Read(ref perRecord);
            var slice = await read(start, stop, filter, known > 0 ? streams.Batch(batch, known) : Math.Min(batch, DefaultBatch), ct).ConfigureAwait(false);
            var (bytes, records) = measure(slice.Message);
            if (records > 0)
            {
                Volatile.Write(ref perRecord, Math.Max(1, bytes / records));
            }

            Interlocked.Add(ref held, bytes);
            streams.Hold(bytes);
            return slice;
        }

        try
        {
            while (!ct.IsCancellationRequested && position <= to)
            {
                var head = store.HeadPosition;
                if (position > head)
                {
                    if (!caughtUp)
                    {
                        caughtUp = true;
                        await WriteAsync(responseStream, caughtUpAt(head), position, context, slot, ct).ConfigureAwait(false);
                    }

                    if (!request.Follow)
                    {
                        return;
                    }

                    try
                    {
                        await store.WaitForAppendAsync(head, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
                    {
                        throw new RpcException(new Status(StatusCode.Unavailable, $"the service is shutting down; resume from position {position}"));
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        return;
                    }

                    continue;
                }

                var end = Math.Min(to, head);
                var slice = prefetch is not null
                    ? await prefetch.ConfigureAwait(false)
                    : await ReadAsync(position, end).ConfigureAwait(false);
                prefetch = null;
                var next = slice.ScannedTo + 1;
                if (next <= end)
                {
                    // the store's read and the network write overlap instead of taking turns
                    prefetch = Task.Run(() => ReadAsync(next, end), CancellationToken.None);
                }

                await WriteAsync(responseStream, slice.Message, next, context, slot, ct).ConfigureAwait(false);
                var written = measure(slice.Message).Bytes;
                Interlocked.Add(ref held, -written);
                streams.Release(written);
                (slice.Message as IDisposable)?.Dispose(); // written: an encoded batch's buffer goes back to its pool

                position = next;
            }
        }
        finally
        {
            if (prefetch is not null)
            {
                var (message, _) = await prefetch.ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : default, TaskScheduler.Default).ConfigureAwait(false);
                (message as IDisposable)?.Dispose();
            }

            streams.Release(Interlocked.Exchange(ref held, 0));
        }
    }

    /// <summary>
    /// One message of a stream, waiting at most Limits:StalledStreamSeconds for the client to take it (gRPC's flow control).
    /// A client that reads nothing that long gets RESOURCE_EXHAUSTED STREAM_STALLED with <paramref name="resumeFrom"/>, the
    /// position after this message, which stays queued before the status: if it reads again within 5 s it gets both;
    /// if not, its HTTP/2 stream is reset, so what the stream held is freed either way.
    /// </summary>
    async Task WriteAsync<TResponse>(IServerStreamWriter<TResponse> stream, TResponse message, long resumeFrom, ServerCallContext context, IDisposable slot, CancellationToken ct)
    {
        var write = stream.WriteAsync(message, ct);
        if (!write.IsCompleted)
        {
            try
            {
                await write.WaitAsync(TimeSpan.FromSeconds(limits.StalledStreamSeconds), ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _ = write.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                LogStalled(logger, Actors.CallerKey(context), limits.StalledStreamSeconds, resumeFrom);
                streams.MarkStalled(slot);
                AbortUnlessCompleted(context.GetHttpContext(), TimeSpan.FromSeconds(5));
                throw RpcErrors.ResourceExhausted(
                    "STREAM_STALLED",
                    $"the client read nothing for {limits.StalledStreamSeconds} s (Limits:StalledStreamSeconds): the stream was ended; resume with from_position {resumeFrom}",
                    new Dictionary<string, string>(StringComparer.Ordinal) { ["resume_from"] = resumeFrom.ToString(CultureInfo.InvariantCulture) });
            }
        }

        await write.ConfigureAwait(false);
    }

    /// <summary>Resets the request's HTTP/2 stream if its response has not completed within <paramref name="grace"/>.</summary>
    static void AbortUnlessCompleted(Microsoft.AspNetCore.Http.HttpContext http, TimeSpan grace)
    {
        var gate = new Lock();
        var completed = false;
        http.Response.OnCompleted(() =>
        {
            lock (gate)
            {
                completed = true; // from here the context may be reused: never abort it
            }

            return Task.CompletedTask;
        });
        _ = Task.Delay(grace).ContinueWith(
            _ =>
            {
                lock (gate)
                {
                    if (!completed)
                    {
                        http.Abort();
                    }
                }
            },
            TaskScheduler.Default);
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "StreamEvents of {Caller} ended: the client read nothing for {Seconds} s; resume from position {Position}")]
    static partial void LogStalled(Microsoft.Extensions.Logging.ILogger logger, string caller, int seconds, long position);

    public override async Task<ListEventsResponse> ListEvents(ListEventsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var (from, to, filter) = Validate(request.FromPosition, request.HasToPosition ? request.ToPosition : null, request.Filter);
        var pageSize = request.PageSize switch
        {
            < 0 => throw RpcErrors.InvalidArgument("page_size", "must not be negative"),
            0 => DefaultPage,
            > MaxPage => MaxPage,
            var n => n,
        };
        var fingerprint = Fingerprint(request);
        if (!string.IsNullOrEmpty(request.PageToken))
        {
            from = DecodeToken(request.PageToken, fingerprint);
        }

        var head = await store.ReadHeadAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new ListEventsResponse { HeadPosition = head };
        var end = Math.Min(to, head);
        var position = from;
        var scanned = 0L;
        // A page stops when it is full or after scanning 100,000 positions, so a sparse filter cannot hold the call.
        while (position <= end && response.Records.Count < pageSize && scanned < 100_000)
        {
            var slice = await store.ReadAllAsync(position, end, filter, pageSize - response.Records.Count, context.CancellationToken).ConfigureAwait(false);
            response.Records.AddRange(slice.Records);
            scanned += slice.ScannedTo - position + 1;
            position = slice.ScannedTo + 1;
        }

        if (position <= end)
        {
            response.NextPageToken = PageTokens.Next(fingerprint, position.ToString(CultureInfo.InvariantCulture));
        }

        return response;
    }

    public override async Task<GetLogInfoResponse> GetLogInfo(GetLogInfoRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var head = store.HeadPosition;
        var response = new GetLogInfoResponse
        {
            Service = store.ServiceName,
            HeadPosition = head,
            EventCount = head, // positions are gap-free from 1
            Relay = new RelayInfo { Checkpoint = relay.Checkpoint, Lag = head - relay.Checkpoint, Running = relay.Running, LastError = relay.LastError, HoldsLease = relay.HoldsLease },
            StoreWritable = store.WriteError is null,
            StoreError = store.WriteError ?? "",
            DatabasePool = (store as PostgresEventStore)?.Pool.Info(),
            DevelopmentKey = signing.DevelopmentKey,
        };
        response.Consumers.AddRange(await store.GetConsumersAsync(context.CancellationToken).ConfigureAwait(false));
        response.Projections.AddRange(projections.Info());
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            response.ErrorQueue = await errors.InfoAsync(timeout.Token).ConfigureAwait(false);
            if (!context.GetHttpContext().User.HasClaim(Csto.Security.Claims.Role, Csto.Security.Roles.Operator))
            {
                // why a message failed quotes its content: the error queue's contents are for operators (ListErrors)
                response.ErrorQueue.OldestReason = "";
            }

            response.Broker = new BrokerInfo { Reachable = true };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            response.ErrorQueue = new ErrorQueueInfo { Queue = errors.Name, Depth = -1 };
            response.Broker = new BrokerInfo { Reachable = false, LastError = broker.LastError.Length > 0 ? broker.LastError : ex.Message };
        }

        return response;
    }

    public override async Task<RepublishResponse> Republish(RepublishRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (request.FromPosition < 1)
        {
            throw RpcErrors.InvalidArgument("from_position", "must be at least 1");
        }

        if (request.ToPosition < request.FromPosition)
        {
            throw RpcErrors.InvalidArgument("to_position", "must not be before from_position");
        }

        if (request.ToPosition > store.HeadPosition)
        {
            throw RpcErrors.InvalidArgument("to_position", $"must not be after the head position {store.HeadPosition}");
        }

        var count = await relay.RepublishAsync(request.FromPosition, request.ToPosition, context.CancellationToken).ConfigureAwait(false);
        return new RepublishResponse { PublishedCount = count };
    }

    public override async Task<RebuildProjectionsResponse> RebuildProjections(RebuildProjectionsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var known = projections.Projections.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in request.Names)
        {
            if (!known.Contains(name))
            {
                throw RpcErrors.InvalidArgument("names", $"unknown projection '{name}'; known: {string.Join(", ", known.Order(StringComparer.Ordinal))}");
            }
        }

        var results = await projections.RebuildAsync([.. request.Names], context.CancellationToken).ConfigureAwait(false);
        var response = new RebuildProjectionsResponse();
        response.Results.AddRange(results);
        return response;
    }

    public override async Task<ListErrorsResponse> ListErrors(ListErrorsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var max = request.MaxMessages switch
        {
            < 0 => throw RpcErrors.InvalidArgument("max_messages", "must not be negative"),
            0 => 100,
            > 1000 => 1000,
            var n => n,
        };
        var (messages, depth) = await errors.PeekAsync(max, context.CancellationToken).ConfigureAwait(false);
        return new ListErrorsResponse { Messages = { messages }, Depth = depth };
    }

    public override async Task<RedriveErrorsResponse> RedriveErrors(RedriveErrorsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (request.MaxMessages < 0)
        {
            throw RpcErrors.InvalidArgument("max_messages", "must not be negative (0: all)");
        }

        return new RedriveErrorsResponse { RedrivenCount = await errors.RedriveAsync(request.MaxMessages, context.CancellationToken).ConfigureAwait(false) };
    }

    public override async Task<PurgeErrorsResponse> PurgeErrors(PurgeErrorsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (!string.Equals(request.Queue, errors.Name, StringComparison.Ordinal))
        {
            throw RpcErrors.InvalidArgument("queue", $"must name the error queue to purge, '{errors.Name}'");
        }

        return new PurgeErrorsResponse { PurgedCount = await errors.PurgeAsync(context.CancellationToken).ConfigureAwait(false) };
    }

    static (long From, long To, ReadFilter Filter) Validate(long from, long? to, EventFilter? filter)
    {
        if (from < 0)
        {
            throw RpcErrors.InvalidArgument("from_position", "must not be negative");
        }

        if (to is { } t && t < Math.Max(from, 1))
        {
            throw RpcErrors.InvalidArgument("to_position", "must not be before from_position");
        }

        if (filter is not null && filter.EventTypes.Any(string.IsNullOrWhiteSpace))
        {
            throw RpcErrors.InvalidArgument("filter.types", "a type must not be empty");
        }

        return (Math.Max(from, 1), to ?? long.MaxValue, new ReadFilter(filter?.StreamIdPrefix, filter is null ? null : [.. filter.EventTypes]));
    }

    static string Fingerprint(ListEventsRequest r) =>
        string.Join('\u001f', r.HasToPosition ? r.ToPosition.ToString(CultureInfo.InvariantCulture) : "", r.Filter?.StreamIdPrefix ?? "", string.Join(',', r.Filter?.EventTypes ?? []));

    static long DecodeToken(string token, string fingerprint) =>
        long.TryParse(PageTokens.After(token, fingerprint), NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position > 0
            ? position
            : throw new InvalidFieldException("page_token", "not a token of this query (the filters and to_position must not change between pages)");
}
