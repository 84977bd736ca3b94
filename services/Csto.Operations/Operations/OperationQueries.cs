using Csto.EventLog;

namespace Csto.Operations.Operations;

/// <summary>Reads operations: an operation by folding its stream, and the ids of every operation ever opened.</summary>
public sealed class OperationQueries(IEventStore store)
{
    public async Task<OperationState?> LoadAsync(string operationId, CancellationToken cancellationToken) =>
        OperationEvents.Fold(await store.ReadStreamAsync(Shared.Ids.StreamOf(operationId), 1, cancellationToken));

    /// <summary>The ids of every operation ever opened, in log order.</summary>
    public async Task<IReadOnlyList<string>> OperationIdsAsync(CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        var from = 1L;
        var filter = new ReadFilter("operation-", [V1.OperationOpened.Descriptor.FullName]);
        var head = await store.ReadHeadAsync(cancellationToken); // what every instance committed
        while (from <= head)
        {
            var slice = await store.ReadAllAsync(from, head, filter, 1000, cancellationToken);
            ids.AddRange(slice.Records.Select(r => r.StreamId["operation-".Length..]));
            from = slice.ScannedTo + 1;
        }

        return ids;
    }
}
