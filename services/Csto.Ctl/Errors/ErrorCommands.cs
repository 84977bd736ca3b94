using System.CommandLine;
using Csto.Ctl.Common;
using Csto.EventLog.V1;
using Google.Protobuf;

namespace Csto.Ctl.Errors;

/// <summary>errors list|redrive|purge: the messages a service's consumer could never apply (its error queue).</summary>
public static class ErrorCommands
{
    public static Command Build(CtlContext ctx)
    {
        var errors = new Command("errors", "operator: the messages a service could never apply (csto.<service>_error): list, send back, delete");
        errors.Subcommands.Add(List(ctx));
        errors.Subcommands.Add(Redrive(ctx));
        errors.Subcommands.Add(Purge(ctx));
        return errors;
    }

    static Option<string> ServiceOption() => new("--service") { Description = "membership, bodies, operations or all", Required = true };

    static Command List(CtlContext ctx)
    {
        var command = new Command("list", "the failed messages, oldest first, with the reason; they stay in the queue");
        var service = ServiceOption();
        var max = new Option<int>("--max") { Description = "most messages per service (default 100)", DefaultValueFactory = _ => 100 };
        command.Options.Add(service);
        command.Options.Add(max);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var table = new Table("service", "failed at", "reason", "type", "event id", "source", "user", "exception");
            foreach (var name in ServiceDirectory.Expand(p.GetValue(service)!))
            {
                var response = await services.CallAsync(name, c => new EventLogService.EventLogServiceClient(c)
                    .ListErrorsAsync(new ListErrorsRequest { MaxMessages = p.GetValue(max) }, cancellationToken: ct).ResponseAsync);
                if (p.GetValue(Cli.Json))
                {
                    await ctx.Out.WriteLineAsync(JsonFormatter.Default.Format(response));
                    continue;
                }

                foreach (var m in response.Messages)
                {
                    table.Add(name, m.FailedAt?.ToDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture), m.Reason, EventTypes.Short(m.Type), m.EventId, m.SourceService, m.UserId,
                        m.Exception.Length > 100 ? m.Exception[..100] + "…" : m.Exception);
                }

                await ctx.Error.WriteLineAsync($"{name}: {response.Depth} message(s) in csto.{name}_error");
            }

            if (!p.GetValue(Cli.Json))
            {
                await ctx.Out.WriteAsync(table.ToString());
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Redrive(CtlContext ctx)
    {
        var command = new Command("redrive", "send failed messages back to the service's queue, to be applied again (after a fix or a configuration change)");
        var service = ServiceOption();
        var max = new Option<int>("--max") { Description = "most messages per service (default: all)" };
        command.Options.Add(service);
        command.Options.Add(max);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            foreach (var name in ServiceDirectory.Expand(p.GetValue(service)!))
            {
                var response = await services.CallAsync(name, c => new EventLogService.EventLogServiceClient(c)
                    .RedriveErrorsAsync(new RedriveErrorsRequest { MaxMessages = p.GetValue(max) }, cancellationToken: ct).ResponseAsync);
                await ctx.Out.WriteLineAsync(p.GetValue(Cli.Json) ? JsonFormatter.Default.Format(response) : $"{name}: sent back {response.RedrivenCount} message(s)");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Purge(CtlContext ctx)
    {
        var command = new Command("purge", "delete every failed message of a service (they cannot be re-driven afterwards)");
        var service = ServiceOption();
        command.Options.Add(service);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            foreach (var name in ServiceDirectory.Expand(p.GetValue(service)!))
            {
                var response = await services.CallAsync(name, c => new EventLogService.EventLogServiceClient(c)
                    .PurgeErrorsAsync(new PurgeErrorsRequest { Queue = $"csto.{name}_error" }, cancellationToken: ct).ResponseAsync);
                await ctx.Out.WriteLineAsync(p.GetValue(Cli.Json) ? JsonFormatter.Default.Format(response) : $"{name}: deleted {response.PurgedCount} message(s)");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
