using System.Runtime.CompilerServices;
using Csto.Ctl.Common;
using Csto.EventLog.V1;
using Grpc.Core;

namespace Csto.Ctl.Log;

public sealed record LogQuery(long From, long? To, string? Prefix, IReadOnlyList<string> Types, bool Follow);

/// <summary>Reads the logs of the services through their replay API.</summary>
public sealed class LogReader(ServiceDirectory services)
{
    public async IAsyncEnumerable<EventRecord> ReadAsync(string service, LogQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var client = new EventLogService.EventLogServiceClient(services.Channel(service));
        var request = new StreamEventsRequest { FromPosition = query.From, Follow = query.Follow, MaxBatchSize = 2000, Filter = new EventFilter { StreamIdPrefix = query.Prefix ?? "" } };
        request.Filter.EventTypes.AddRange(query.Types);
        if (query.To is { } to)
        {
            request.ToPosition = to;
        }

        AsyncServerStreamingCall<StreamEventsResponse> call;
        try
        {
            call = client.StreamEvents(request, cancellationToken: cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
        {
            throw new CtlException(ExitCodes.Unavailable, $"the {service} service does not answer at {services.Address(service)}: {ex.Status.Detail}");
        }

        using (call)
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await call.ResponseStream.MoveNext(cancellationToken);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
                {
                    throw new CtlException(ExitCodes.Unavailable, $"the {service} service does not answer at {services.Address(service)}: {ex.Status.Detail}");
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }
                catch (RpcException ex)
                {
                    throw new CtlException(ExitCodes.Failed, $"{service}: {ex.StatusCode}: {ex.Status.Detail}");
                }

                if (!more)
                {
                    yield break;
                }

                if (call.ResponseStream.Current.Events is { } batch)
                {
                    foreach (var record in batch.Records)
                    {
                        yield return record;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The logs of several services merged in one deterministic order: each service's own position order is
    /// kept, and between services the earlier recorded_at goes first (ties: service name). Exporting the
    /// same logs twice gives the same sequence.
    /// </summary>
    public async IAsyncEnumerable<EventRecord> MergeAsync(IReadOnlyList<string> names, LogQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (names.Count == 1)
        {
            await foreach (var r in ReadAsync(names[0], query, cancellationToken))
            {
                yield return r;
            }

            yield break;
        }

        var cursors = new List<(string Service, IAsyncEnumerator<EventRecord> Enumerator)>();
        try
        {
            foreach (var name in names.Order(StringComparer.Ordinal))
            {
                var e = ReadAsync(name, query with { Follow = false }, cancellationToken).GetAsyncEnumerator(cancellationToken);
                if (await e.MoveNextAsync())
                {
                    cursors.Add((name, e));
                }
                else
                {
                    await e.DisposeAsync();
                }
            }

            while (cursors.Count > 0)
            {
                var next = cursors
                    .OrderBy(c => c.Enumerator.Current.RecordedAt?.ToDateTimeOffset() ?? DateTimeOffset.MinValue)
                    .ThenBy(c => c.Service, StringComparer.Ordinal)
                    .First();
                yield return next.Enumerator.Current;
                if (!await next.Enumerator.MoveNextAsync())
                {
                    await next.Enumerator.DisposeAsync();
                    cursors.Remove(next);
                }
            }
        }
        finally
        {
            foreach (var c in cursors)
            {
                await c.Enumerator.DisposeAsync();
            }
        }
    }
}
