using System.Data;
using Csto.EventLog.Projections;

namespace Csto.EventLog;

/// <summary>
/// The read side of a store: projection tables written in the store's own transactions, queries over them, and the
/// table operations a rebuild needs. Services and the projection runner use only this and <see cref="IEventStore"/>;
/// nothing outside the store opens a database connection, so another engine is another class.
/// </summary>
public interface IReadModelStore
{
    /// <summary>Runs a query over projection tables; parameters are named <c>@name</c>.</summary>
    Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<IDataRecord, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters);

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction that also moves <paramref name="checkpoint"/> from its
    /// <c>From</c> to its <c>To</c>, and returns the checkpoint afterwards. When the stored checkpoint is not at <c>From</c>
    /// (another instance sharing the database applied that range), nothing runs and the stored checkpoint is returned,
    /// so a range is applied once however many instances feed the projection. Without a checkpoint (fresh tables of a
    /// rebuild) the work just runs; 0 is returned.
    /// </summary>
    Task<long> ApplyAsync(string suffix, Action<ProjectionWriter> work, ProjectionCheckpoint? checkpoint, CancellationToken cancellationToken);

    /// <summary>
    /// At start: in one transaction with the checkpoint locked, drops and recreates the live tables when the checkpoint
    /// is 0 (new, or a release changed their shape), else creates the missing ones; returns the checkpoint. One step, so
    /// that an instance starting beside another never drops tables the other has already filled.
    /// </summary>
    Task<long> PrepareTablesAsync(IReadOnlyList<ProjectionTable> tables, string checkpointName, CancellationToken cancellationToken);

    /// <summary>
    /// Creates the tables (with <paramref name="suffix"/>) that do not exist yet, with their indexes unless
    /// <paramref name="indexes"/> is false (a rebuild fills them first and indexes them once, <see cref="CreateIndexesAsync"/>).
    /// </summary>
    Task CreateTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken, bool indexes = true);

    /// <summary>Creates the secondary indexes of tables made without them: one sort of the filled table instead of an index update per row.</summary>
    Task CreateIndexesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken);

    Task DropTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken);

    /// <summary>In one transaction: drops the live tables, renames the <paramref name="suffix"/> tables to the live names and sets the checkpoint.</summary>
    Task SwapTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, string checkpointName, long position, CancellationToken cancellationToken);

    /// <summary>SHA-256 over every row of the tables in a canonical order, the same for equal contents.</summary>
    Task<string> HashTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken);

    /// <summary>Throws when the store cannot answer a read.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}

/// <summary>A projection's checkpoint moved from <paramref name="From"/> to <paramref name="To"/> with the rows of that range.</summary>
public sealed record ProjectionCheckpoint(string Name, long From, long To);
