using Csto.Bodies.Api;
using Csto.Bodies.Bodies;
using Csto.Bodies.Operations;
using Csto.Bodies.ReadModel;
using Csto.EventLog.Hosting;
using Csto.EventLog.Inbox;
using Csto.EventLog.Projections;
using Csto.EventLog.Roster;
using Csto.EventLog.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Csto.Bodies;

public static class BodiesHost
{
    public const string ServiceName = "bodies";

    public static void Configure(WebApplicationBuilder builder)
    {
        builder.AddEventLog(ServiceName);
        builder.Services.AddAccessTable(Csto.Security.AccessTables.Bodies);
        builder.Services.AddRoster();
        builder.Services.AddSingleton<IEventHandler, OperationSummaryHandler>();
        builder.Services.AddSingleton<IProjection, BodiesProjection>();
        builder.Services.AddSingleton<BodiesQueries>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<ReferenceDataSeeder>();
    }

    public static void Map(WebApplication app)
    {
        app.MapEventLog();
        app.MapGrpcService<BodiesGrpcService>();
    }
}
