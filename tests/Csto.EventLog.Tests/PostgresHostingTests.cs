using Csto.EventLog;
using Csto.EventLog.Hosting;
using Csto.EventLog.V1;
using Csto.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>EventLog:Store chooses the store; a wrong setting stops the service, never falls back to SQLite.</summary>
[Collection("broker")]
public sealed class PostgresHostingTests(RabbitMqFixture broker)
{
    static WebApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        settings["EventLog:RabbitMqUrl"] = "amqp://nobody:unused@127.0.0.1:1/"; // a placeholder: nothing listens on port 1;
        settings["Security:SigningKey"] = TestTokens.Signing.Key;
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    [Theory]
    [InlineData("postgres", null, "ConnectionStrings:EventLog")]
    [InlineData("mysql", null, "EventLog:Store 'mysql' is unknown")]
    public void A_store_setting_that_cannot_work_stops_the_service_at_configuration(string store, string? connection, string named)
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            Builder(new() { ["EventLog:Store"] = store, ["ConnectionStrings:EventLog"] = connection }).AddEventLog("membership"));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=1;Database=csto;Username=csto;Password=x")]
    [InlineData("Host=127.0.0.1;Nonsense Key=1")]
    public void An_unreachable_or_malformed_connection_string_stops_the_service_at_start(string connection)
    {
        var builder = Builder(new() { ["EventLog:Store"] = "postgres", ["ConnectionStrings:EventLog"] = connection });
        builder.AddEventLog("membership");
        using var app = builder.Build();

        var ex = Assert.Throws<InvalidOperationException>(() => app.Services.GetRequiredService<IEventStore>());
        Assert.Contains("ConnectionStrings:EventLog", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_hosts_on_one_database_share_the_log_and_exactly_one_holds_the_relay_lease()
    {
        using var dir = new TempDir();
        var schema = TestPostgres.NewServiceName("host");
        var settings = new Dictionary<string, string?>
        {
            ["EventLog:Store"] = "postgres",
            ["ConnectionStrings:EventLog"] = TestPostgres.ConnectionString + ";Search Path=csto_" + schema,
        };
        var url = await broker.NewVirtualHostUrlAsync();
        try
        {
            await using var a = await Events.StartLogHostAsync("operations", url, Path.Combine(dir.Path, "a"), settings: settings);
            await using var b = await Events.StartLogHostAsync("operations", url, Path.Combine(dir.Path, "b"), settings: settings);
            var storeA = a.Services.GetRequiredService<IEventStore>();
            Assert.IsType<PostgresEventStore>(storeA);
            await storeA.AppendAsync(new AppendRequest("operation-1", ExpectedVersion.Any, [Events.Any(1)]));
            await b.Services.GetRequiredService<IEventStore>().AppendAsync(new AppendRequest("operation-1", 1, [Events.Any(2)]));

            // a write through one instance is read through the other at once (it asks the database for the head,
            // it does not wait for the notification)
            for (var i = 3; i < 23; i++)
            {
                await storeA.AppendAsync(new AppendRequest("operation-1", i - 1, [Events.Any(i)]));
                var page = await new EventLogService.EventLogServiceClient(b.Channel).ListEventsAsync(new ListEventsRequest { FromPosition = i, PageSize = 10 });
                Assert.Equal([i], page.Records.Select(r => r.Position));
            }

            GetLogInfoResponse[] infos = [];
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline)
            {
                infos = await Task.WhenAll(new[] { a, b }.Select(h => new EventLogService.EventLogServiceClient(h.Channel).GetLogInfoAsync(new GetLogInfoRequest()).ResponseAsync));
                if (infos.All(i => i.HeadPosition == 22 && i.Relay.Checkpoint == 22) && infos.Count(i => i.Relay.HoldsLease) == 1)
                {
                    break;
                }

                await Task.Delay(200);
            }

            Assert.Equal(1, infos.Count(i => i.Relay.HoldsLease));
            Assert.All(infos, i => Assert.Equal(22, i.HeadPosition));
            Assert.All(infos, i => Assert.Equal(22, i.Relay.Checkpoint));
            Assert.All(infos, i => Assert.True(i.Relay.Running, i.Relay.LastError));
        }
        finally
        {
            await TestPostgres.DropAsync(schema);
        }
    }
}
