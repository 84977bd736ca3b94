using Npgsql;

namespace Csto.Testing;

/// <summary>
/// The PostgreSQL that deploy/test.sh starts for the run (deploy/postgres.sh, own port and data folder), exported as
/// <c>CSTO_POSTGRES_CONNECTION</c>. Each test uses a service name of its own, so its log lives in a schema of its own.
/// </summary>
public static class TestPostgres
{
    public const string Variable = "CSTO_POSTGRES_CONNECTION";

    /// <summary>No variable is a failure, not a skip: CI always runs through deploy/test.sh.</summary>
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set: run the tests through deploy/test.sh (it starts a private PostgreSQL), or start one with " +
                "deploy/postgres.sh start and export CSTO_POSTGRES_CONNECTION=\"$(deploy/postgres.sh url)\"");

    /// <summary>A service name no other test uses: its schema (csto_&lt;name&gt;) is fresh.</summary>
    public static string NewServiceName(string prefix = "t") => prefix + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Drops the schema of a test's log.</summary>
    public static async Task DropAsync(string serviceName, string? connectionString = null)
    {
        await using var connection = new NpgsqlConnection(connectionString ?? ConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"csto_{serviceName.ToLowerInvariant()}\" CASCADE", connection);
        await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
