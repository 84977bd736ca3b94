using System.CommandLine;
using Csto.Ctl.Common;
using Csto.Membership.V1;
using Google.Protobuf;

namespace Csto.Ctl.Query;

/// <summary>cstoctl query members|chair|decisions|sessions|positions|totals.</summary>
public static class QueryCommands
{
    static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);
    static readonly List<Func<CtlContext, Command>> More = [];

    public static void Add(Func<CtlContext, Command> build) => More.Add(build);

    public static Command Build(CtlContext ctx)
    {
        var query = new Command("query", "ask the services");
        query.Subcommands.Add(Members(ctx));
        query.Subcommands.Add(BodiesQueries.Chair(ctx));
        query.Subcommands.Add(BodiesQueries.Decisions(ctx));
        query.Subcommands.Add(BodiesQueries.Sessions(ctx));
        query.Subcommands.Add(BodiesQueries.Positions(ctx));
        query.Subcommands.Add(OperationsQueries.Totals(ctx));
        foreach (var build in More)
        {
            query.Subcommands.Add(build(ctx));
        }

        return query;
    }

    static Command Members(CtlContext ctx)
    {
        var command = new Command("members", "the roster on a date: members with a voice, suspended, frozen (and signatories before 1994)");
        var asOf = new Option<string?>("--as-of") { Description = "date (YYYY-MM-DD, default today)" };
        var all = new Option<bool>("--with-observers") { Description = "include observers and partners" };
        command.Options.Add(asOf);
        command.Options.Add(all);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var date = DateArg.Parse(p.GetValue(asOf), "--as-of");
            var roster = await services.CallAsync("membership", c => new MembershipService.MembershipServiceClient(c)
                .GetRosterAsync(new GetRosterRequest { AsOf = date, IncludeObserversAndPartners = p.GetValue(all) }, cancellationToken: ct).ResponseAsync);
            if (p.GetValue(Cli.Json))
            {
                await ctx.Out.WriteLineAsync(Formatter.Format(roster));
                return ExitCodes.Ok;
            }

            var table = new Table("state", "status", "voice", "since", "cause");
            foreach (var e in roster.Entries.OrderBy(e => e.State, StringComparer.Ordinal))
            {
                table.Add(e.State, Status(e.Status), e.HasVoice ? "yes" : "no", DateArg.Format(e.StatusSince), DateArg.Cause(e.Cause));
            }

            await ctx.Out.WriteLineAsync($"roster as of {DateArg.Format(date)}: {roster.Entries.Count(e => e.HasVoice)} with a voice, {roster.Entries.Count} listed");
            await ctx.Out.WriteLineAsync(table.ToString());
            return ExitCodes.Ok;
        });
        return command;
    }

    public static string Status(MemberStatus s) => s.ToString().ToLowerInvariant();
}
