using System.Globalization;
using Csto.EventLog.Hosting;
using Csto.EventLog.Inbox;
using Csto.EventLog.Roster;
using Csto.EventLog.Security;
using Csto.Operations.Api;
using Csto.Operations.Operations;
using Csto.Operations.Outcomes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Csto.Operations;

/// <summary>Wires the operations service onto the event log; Program.cs and the test harness both use it.</summary>
public static class OperationsHost
{
    public const string ServiceName = "operations";

    public static void Configure(WebApplicationBuilder builder)
    {
        builder.AddEventLog(ServiceName);
        var services = builder.Services;
        services.AddAccessTable(Csto.Security.AccessTables.Operations);
        var config = builder.Configuration;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(KgConversion.FromConfiguration(config));
        services.AddSingleton<OperationQueries>();
        services.AddSingleton<IEventHandler, DecisionHandler>();
        services.AddRoster();
        services.AddSettings<EndDateCloserOptions>("Operations", EndDateCloserOptions.Broken);
        services.AddSingleton<EndDateCloser>();
        services.AddHostedService(sp => sp.GetRequiredService<EndDateCloser>());
    }

    public static void Map(WebApplication app)
    {
        app.MapEventLog();
        app.MapGrpcService<OperationsGrpcService>();
    }
}
