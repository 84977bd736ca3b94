using System.Globalization;
using System.Text;
using Csto.EventLog.Projections;
using Csto.EventLog.Relay;
using Csto.EventLog.Security;
using Csto.EventLog.V1;
using Grpc.Core;

namespace Csto.EventLog.Api;

/// <summary>The replay API every service serves.</summary>
public sealed class EventLogGrpcService(IEventStore store, EventRelay relay, ProjectionRunner projections, FollowStreamLimiter followers) : EventLogService.EventLogServiceBase
{
    const int DefaultBatch = 500;
    const int MaxBatch = 5000;
    const int DefaultPage = 100;
    const int MaxPage = 1000;

    public override async Task StreamEvents(StreamEventsRequest request, IServerStreamWriter<StreamEventsResponse> responseStream, ServerCallContext context)
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
        using var slot = request.Follow ? followers.Acquire(Actors.CallerKey(context)) : null;
        var ct = context.CancellationToken;
        var position = from;
        var caughtUp = false;
        // a catch-up read of the next slice runs while the current one is serialized and flushed
        Task<ReadSlice>? prefetch = null;
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
                        await responseStream.WriteAsync(new StreamEventsResponse { CaughtUp = new CaughtUp { HeadPosition = head } }, ct).ConfigureAwait(false);
                    }

                    if (!request.Follow)
                    {
                        return;
                    }

                    try
                    {
                        await store.WaitForAppendAsync(head, ct).ConfigureAwait(false);
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
                    : await store.ReadAllAsync(position, end, filter, batch, ct).ConfigureAwait(false);
                prefetch = null;
                var next = slice.ScannedTo + 1;
                if (next <= end)
                {
                    // the store's read and the network write overlap instead of taking turns
                    prefetch = Task.Run(() => store.ReadAllAsync(next, end, filter, batch, ct), CancellationToken.None);
                }

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

                await responseStream.WriteAsync(message, ct).ConfigureAwait(false);
                position = next;
            }
        }
        finally
        {
            if (prefetch is not null)
            {
                await prefetch.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
    }

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

        var head = store.HeadPosition;
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
            response.NextPageToken = EncodeToken(position, fingerprint);
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
            Relay = new RelayInfo { Checkpoint = relay.Checkpoint, Lag = head - relay.Checkpoint, Running = relay.Running, LastError = relay.LastError },
        };
        response.Consumers.AddRange(await store.GetConsumersAsync(context.CancellationToken).ConfigureAwait(false));
        response.Projections.AddRange(projections.Info());
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

    static string EncodeToken(long position, string fingerprint) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{position.ToString(CultureInfo.InvariantCulture)}\u001e{fingerprint}"));

    static long DecodeToken(string token, string fingerprint)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split('\u001e', 2);
            if (parts.Length == 2 && parts[1] == fingerprint && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var position) && position > 0)
            {
                return position;
            }
        }
        catch (FormatException)
        {
        }

        throw RpcErrors.InvalidArgument("page_token", "not a token of this query (the filters and to_position must not change between pages)");
    }
}
