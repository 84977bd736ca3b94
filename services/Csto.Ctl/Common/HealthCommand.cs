using System.CommandLine;
using Grpc.Health.V1;

namespace Csto.Ctl.Common;

/// <summary>cstoctl health [--wait SECONDS]: grpc.health.v1 of every service.</summary>
public static class HealthCommand
{
    public static Command Build(CtlContext ctx)
    {
        var command = new Command("health", "grpc.health.v1 status of the three services");
        var wait = new Option<int>("--wait") { Description = "seconds to wait until all are SERVING (0: ask once)", DefaultValueFactory = _ => 0 };
        command.Options.Add(wait);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var deadline = DateTime.UtcNow.AddSeconds(p.GetValue(wait));
            var lastReport = DateTime.UtcNow;
            while (true)
            {
                var table = new Table("service", "address", "status");
                var allServing = true;
                foreach (var name in ServiceDirectory.Names)
                {
                    string status;
                    try
                    {
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        timeout.CancelAfter(TimeSpan.FromSeconds(5));
                        var response = await new Health.HealthClient(services.Channel(name)).CheckAsync(new HealthCheckRequest(), cancellationToken: timeout.Token);
                        status = response.Status.ToString();
                        allServing &= response.Status == HealthCheckResponse.Types.ServingStatus.Serving;
                    }
                    catch (Grpc.Core.RpcException ex)
                    {
                        status = "unreachable: " + ex.Status.Detail;
                        allServing = false;
                    }

                    table.Add(name, services.Address(name), status);
                }

                if (allServing || DateTime.UtcNow >= deadline)
                {
                    await ctx.Out.WriteLineAsync(table.ToString());
                    return allServing ? ExitCodes.Ok : ExitCodes.Unavailable;
                }

                if (DateTime.UtcNow - lastReport > TimeSpan.FromSeconds(10))
                {
                    lastReport = DateTime.UtcNow;
                    await ctx.Error.WriteLineAsync("waiting for the services to be SERVING:\n" + table);
                }

                await Task.Delay(500, ct);
            }
        });
        return command;
    }
}
