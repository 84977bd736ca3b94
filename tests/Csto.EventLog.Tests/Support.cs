using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Hosting;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Testing;
using Microsoft.AspNetCore.Builder;
using Xunit;

namespace Csto.EventLog.Tests;

[CollectionDefinition("broker")]
public sealed class BrokerCollection : ICollectionFixture<RabbitMqFixture>;

static class Events
{
    public static NewEvent Status(string state, MemberStatus status, long version, string? eventId = null) =>
        NewEvent.From(
            new MemberStatusChanged { State = state, NewStatus = status, StreamVersion = version, EffectiveDate = new Date { Year = 2000, Month = 1, Day = 1 } },
            new EventMetadata { CorrelationId = Guid.NewGuid().ToString(), Actor = new Actor { Subject = "test" } },
            eventId);

    public static NewEvent Any(int i) =>
        NewEvent.From(new Date { Year = 2000 + (i % 20), Month = 1 + (i % 12), Day = 1 + (i % 28) }, new EventMetadata { CorrelationId = "c" + i });

    /// <summary>Hosts just the event log of a service (no domain): enough for the log's own tests.</summary>
    public static Task<ServiceHost> StartLogHostAsync(string service, string rabbitUrl, string dataDir, Action<WebApplicationBuilder>? configure = null, IReadOnlyDictionary<string, string?>? settings = null) =>
        ServiceHost.StartAsync(service, rabbitUrl, dataDir, b =>
        {
            b.AddEventLog(service);
            configure?.Invoke(b);
        }, app => app.MapEventLog(), settings);
}
