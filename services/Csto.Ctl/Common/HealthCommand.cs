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
                var table = new Table("service", "address", "status", "notes");
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

                    table.Add(name, services.Address(name), status, services.Token is null ? "" : await NotesAsync(services, name, ct));
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

    /// <summary>What health's SERVING does not say (with a token): the store, the broker, the relay's lag, the error queue.</summary>
    static async Task<string> NotesAsync(ServiceDirectory services, string name, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(8));
            var info = await new Csto.EventLog.V1.EventLogService.EventLogServiceClient(services.Channel(name)).GetLogInfoAsync(new Csto.EventLog.V1.GetLogInfoRequest(), cancellationToken: timeout.Token);
            var notes = new List<string>();
            if (info.DevelopmentKey)
            {
                notes.Add("accepts the repository's DEVELOPMENT key: anyone with the repository can act as any role (Development only)");
            }

            if (!info.StoreWritable)
            {
                notes.Add("store cannot write: " + info.StoreError);
            }

            if (info.Broker is { Reachable: false } broker)
            {
                notes.Add("broker unreachable: " + broker.LastError);
            }

            if (info.Relay is { } relay && (relay.Lag > 0 || !relay.Running))
            {
                notes.Add($"relay lag {relay.Lag}{(relay.Running ? "" : ", not confirmed for 30 s: " + relay.LastError)}");
            }

            if (info.ErrorQueue is { Depth: > 0 } errors)
            {
                notes.Add($"{errors.Depth} in {errors.Queue} (oldest {errors.OldestReason}; cstoctl errors list --service {name})");
            }

            return string.Join("; ", notes);
        }
        catch (Grpc.Core.RpcException ex)
        {
            return "log info: " + ex.Status.Detail;
        }
    }
}
