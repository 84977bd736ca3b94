using Csto.EventLog;
using Csto.EventLog.Projections;
using Csto.EventLog.V1;
using Csto.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Csto.EventLog.Tests;

[Collection("broker")]
public sealed class ProjectionTests(RabbitMqFixture broker)
{
    [Fact]
    public async Task A_rebuilt_projection_hashes_the_same_as_the_live_one_and_is_swapped_in()
    {
        using var dir = new TempDir();
        await using var host = await Events.StartLogHostAsync("operations", await broker.NewVirtualHostUrlAsync(), dir.Path);
        var store = host.Services.GetRequiredService<SqliteEventStore>();
        var runner = host.Services.GetRequiredService<ProjectionRunner>();
        for (var i = 0; i < 3000; i++)
        {
            await store.AppendAsync(new AppendRequest($"operation-{i % 37}", ExpectedVersion.Any, [Events.Any(i)]));
        }

        await runner.WaitForPositionAsync(3000, CancellationToken.None);
        var client = new EventLogService.EventLogServiceClient(host.Channel);
        var response = await client.RebuildProjectionsAsync(new RebuildProjectionsRequest());

        // every projection of the service, rebuilt in one pass over the log (the live ones were fed slice by slice as
        // appends came, in other batches: the tables must not depend on how the log was cut)
        Assert.Equal(runner.Projections.Select(p => p.Name), response.Results.Select(r => r.Name));
        Assert.All(response.Results, r => Assert.True(r.HashesMatch, r.Name));
        var streams = response.Results.Single(r => r.Name == "streams");
        Assert.True(streams.HashesMatch);
        Assert.Equal(streams.LiveHash, streams.RebuiltHash);
        Assert.Equal(3000, streams.Position);
        Assert.Equal(64, streams.RebuiltHash.Length);
        await using var connection = store.OpenReadConnection();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*), SUM(event_count) FROM proj_streams";
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(37, reader.GetInt64(0));
        Assert.Equal(3000, reader.GetInt64(1));

        // the runner goes on feeding the swapped-in tables
        await store.AppendAsync(new AppendRequest("operation-new", ExpectedVersion.Any, [Events.Any(0)]));
        await runner.WaitForPositionAsync(3001, CancellationToken.None);
        Assert.Equal(await runner.HashAsync(runner.Projections.Single(p => p.Name == "streams")), (await client.RebuildProjectionsAsync(new RebuildProjectionsRequest { Names = { "streams" } })).Results.Single().RebuiltHash);
    }

    [Fact]
    public async Task A_live_projection_that_drifted_from_the_log_is_reported_and_repaired_by_the_rebuild()
    {
        using var dir = new TempDir();
        await using var host = await Events.StartLogHostAsync("bodies", await broker.NewVirtualHostUrlAsync(), dir.Path);
        var store = host.Services.GetRequiredService<SqliteEventStore>();
        var runner = host.Services.GetRequiredService<ProjectionRunner>();
        for (var i = 0; i < 50; i++)
        {
            await store.AppendAsync(new AppendRequest($"decision-{i % 5}", ExpectedVersion.Any, [Events.Any(i)]));
        }

        await runner.WaitForPositionAsync(50, CancellationToken.None);
        await store.ExecuteWriteAsync((c, t) =>
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = t;
            cmd.CommandText = "UPDATE proj_streams SET event_count = 999 WHERE stream_id = 'decision-1'";
            return cmd.ExecuteNonQuery();
        });

        var first = (await runner.RebuildAsync(["streams"], CancellationToken.None)).Single();
        var second = (await runner.RebuildAsync(["streams"], CancellationToken.None)).Single();

        Assert.False(first.HashesMatch);
        Assert.True(second.HashesMatch);
        Assert.Equal(first.RebuiltHash, second.LiveHash);
    }
}
