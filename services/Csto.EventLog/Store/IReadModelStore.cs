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

    /// <summary>Runs <paramref name="work"/> in one write transaction, with <paramref name="checkpoint"/> moved in the same transaction when given.</summary>
    Task ApplyAsync(string suffix, Action<ProjectionWriter> work, (string Name, long Position)? checkpoint, CancellationToken cancellationToken);

    /// <summary>Creates the tables (with <paramref name="suffix"/>) that do not exist yet, with their indexes.</summary>
    Task CreateTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken);

    Task DropTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken);

    /// <summary>In one transaction: drops the live tables, renames the <paramref name="suffix"/> tables to the live names and sets the checkpoint.</summary>
    Task SwapTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, string checkpointName, long position, CancellationToken cancellationToken);

    /// <summary>SHA-256 over every row of the tables in a canonical order, the same for equal contents.</summary>
    Task<string> HashTablesAsync(IReadOnlyList<ProjectionTable> tables, string suffix, CancellationToken cancellationToken);

    /// <summary>Throws when the store cannot answer a read.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}
