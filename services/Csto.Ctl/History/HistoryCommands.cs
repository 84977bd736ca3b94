using System.CommandLine;
using Csto.Ctl.Common;

namespace Csto.Ctl.History;

/// <summary>cstoctl history load [--file].</summary>
public static class HistoryCommands
{
    public static Command Build(CtlContext ctx)
    {
        var history = new Command("history", "the CSTO's history 1992-2024");
        var load = new Command("load", "record the history through the public APIs (idempotent: loading twice changes nothing)");
        var file = new Option<string?>("--file") { Description = "history file (default: the one shipped with cstoctl, History/csto-history.json)" };
        var quiet = new Option<bool>("--no-progress") { Description = "one line per step instead of a progress bar" };
        load.Options.Add(file);
        load.Options.Add(quiet);
        load.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            // the loader acts as the Secretariat and as each state's delegate and reporter: without --token/CSTO_TOKEN
            // it signs a token per act with the configured key, which only a development deployment accepts
            services.MintPerCallWhenNoToken(TokenCommand.Signing(p), "cstoctl:history-loader");
            var path = p.GetValue(file) ?? HistoryFile.DefaultPath;
            var history = HistoryFile.Load(path);
            // a bar on an interactive terminal; plain lines for --no-progress, a redirected stderr (logs, CI) and the tests
            var bar = !p.GetValue(quiet) && !Console.IsErrorRedirected && ReferenceEquals(ctx.Error, Console.Error);
            var summary = bar
                ? await BarProgress.RunAsync(progress => new HistoryLoader(services, progress).LoadAsync(history, ct))
                : await new HistoryLoader(services, new PlainProgress(ctx.Error)).LoadAsync(history, ct);
            await ctx.Out.WriteLineAsync($"history loaded from {path}: {summary.Steps} steps, {summary.Decisions} decisions adopted, {summary.Returned} drafts returned, {summary.Writes} requests (retries of earlier loads are no-ops)");
            return ExitCodes.Ok;
        });
        history.Subcommands.Add(load);
        return history;
    }
}
