using Csto.EventLog.V1;

namespace Csto.Console;

/// <summary>
/// The three logs as read through the replay API (StreamEvents), kept in memory and topped up from the last position
/// on each use, so that a trace or a decision's effects need not read whole logs on every page. Shared by every user:
/// StreamEvents is open to every role, and each use tops the logs up with the signed-in user's own token, so a user sees
/// cached records only of a service that has just accepted that user's token (or that is down: then the records so far).
/// </summary>
public sealed class LogCache(Suite suite)
{
    readonly Dictionary<string, (SemaphoreSlim Gate, List<EventRecord> Records)> _logs =
        SuiteOptions.Services.ToDictionary(s => s, _ => (new SemaphoreSlim(1, 1), new List<EventRecord>()));

    /// <summary>Every service's records read up to its head now; a service that does not answer is a problem (its records so far are kept).</summary>
    public async Task<(IReadOnlyList<EventRecord> Records, IReadOnlyList<Problem> Problems)> AllAsync(CancellationToken ct = default)
    {
        var reads = await Task.WhenAll(SuiteOptions.Services.Select(s => ReadAsync(s, ct)));
        return ([.. reads.SelectMany(r => r.Records)], [.. reads.Where(r => r.Problem is not null).Select(r => r.Problem!)]);
    }

    async Task<(IReadOnlyList<EventRecord> Records, Problem? Problem)> ReadAsync(string service, CancellationToken ct)
    {
        var (gate, records) = _logs[service];
        await gate.WaitAsync(ct);
        try
        {
            var from = records.Count == 0 ? 1 : records[^1].Position + 1;
            var answer = await suite.TryAsync(service, async deadline =>
            {
                var fresh = new List<EventRecord>();
                using var call = suite.EventLog(service).StreamEvents(new StreamEventsRequest { FromPosition = from, MaxBatchSize = 2000 }, deadline: deadline.AddSeconds(20), cancellationToken: ct);
                while (await call.ResponseStream.MoveNext(ct))
                {
                    if (call.ResponseStream.Current.Events is { } batch)
                    {
                        fresh.AddRange(batch.Records);
                    }
                }

                return fresh;
            });
            if (answer.Value is { } added)
            {
                records.AddRange(added);
            }

            // a service that answered but refused this user's call (PERMISSION_DENIED, ...) gives the user none of its records
            return (answer.Problem is { Down: false } ? [] : [.. records], answer.Problem);
        }
        finally
        {
            gate.Release();
        }
    }
}
