using Csto.EventLog.Hosting;
using Csto.EventLog.Inbox;
using Csto.EventLog.Projections;
using Csto.EventLog.Security;
using Csto.Membership.Api;
using Csto.Membership.Decisions;
using Csto.Membership.Members;
using Csto.Membership.Roster;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Csto.Membership;

/// <summary>Wires the membership service onto a host; Program.cs and the integration tests both use it.</summary>
public static class MembershipHost
{
    public const string ServiceName = "membership";

    public static void Configure(WebApplicationBuilder builder)
    {
        builder.AddEventLog(ServiceName);
        var services = builder.Services;
        services.AddAccessTable(Csto.Security.AccessTables.Membership);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<MemberLog>();
        services.AddSingleton<MembershipQueries>();
        services.AddSingleton<IProjection, MemberStatusProjection>();
        services.AddSingleton<IEventHandler, DecisionAdoptedHandler>();
    }

    public static void Map(WebApplication app)
    {
        app.MapEventLog();
        app.MapGrpcService<MembershipGrpcService>();
    }
}
