using System.CommandLine;
using Csto.Bodies.V1;
using Csto.Ctl.Common;
using Google.Protobuf;

namespace Csto.Ctl.Query;

/// <summary>query chair and query decisions.</summary>
public static class BodiesQueries
{
    static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    public static Command Chair(CtlContext ctx)
    {
        var command = new Command("chair", "who chairs the Collective Security Council (or --body) on a date, and the Secretary General");
        var asOf = new Option<string?>("--as-of") { Description = "date (YYYY-MM-DD, default today)" };
        var body = new Option<string>("--body") { Description = "body id", DefaultValueFactory = _ => "csc" };
        command.Options.Add(asOf);
        command.Options.Add(body);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var date = DateArg.Parse(p.GetValue(asOf), "--as-of");
            var client = new BodiesService.BodiesServiceClient(services.Channel("bodies"));
            var chair = await services.CallAsync("bodies", _ => client.GetChairAsync(new GetChairRequest { Body = "bodies/" + p.GetValue(body), AsOf = date }, cancellationToken: ct).ResponseAsync);
            GetSecretaryGeneralResponse? sg = null;
            try
            {
                sg = await services.CallAsync("bodies", _ => client.GetSecretaryGeneralAsync(new GetSecretaryGeneralRequest { AsOf = date }, cancellationToken: ct).ResponseAsync);
            }
            catch (CtlException ex) when (ex.ExitCode == ExitCodes.NotFound)
            {
            }

            if (p.GetValue(Cli.Json))
            {
                await ctx.Out.WriteLineAsync(Formatter.Format(chair));
                if (sg is not null)
                {
                    await ctx.Out.WriteLineAsync(Formatter.Format(sg));
                }

                return ExitCodes.Ok;
            }

            var table = new Table("as of", "chair", "since", "basis", "session", "decision");
            table.Add(DateArg.Format(date), chair.State, DateArg.Format(chair.Since), chair.Basis.ToString(), chair.Session, chair.Decision);
            await ctx.Out.WriteLineAsync(table.ToString());
            await ctx.Out.WriteLineAsync(sg?.Appointment is { } a
                ? $"Secretary General: {a.PersonName} ({a.Citizenship}){(a.Acting ? ", acting" : "")}, {DateArg.Format(a.TermStart)} to {DateArg.Format(a.TermEnd)}"
                : "Secretary General: none recorded on that date");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Decisions(CtlContext ctx)
    {
        var command = new Command("decisions", "decisions by body, date range and bound state");
        var body = new Option<string?>("--body") { Description = "body id, e.g. csc" };
        var from = new Option<string?>("--from") { Description = "first session date (YYYY-MM-DD)" };
        var to = new Option<string?>("--to") { Description = "last session date (YYYY-MM-DD)" };
        var bound = new Option<string?>("--bound") { Description = "only decisions binding this state (ISO alpha-3)" };
        command.Options.Add(body);
        command.Options.Add(from);
        command.Options.Add(to);
        command.Options.Add(bound);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var client = new BodiesService.BodiesServiceClient(services.Channel("bodies"));
            var request = new ListDecisionsRequest { PageSize = 200, BoundState = p.GetValue(bound) ?? "" };
            if (p.GetValue(body) is { } b)
            {
                request.Body = "bodies/" + b;
            }

            if (p.GetValue(from) is { } f)
            {
                request.FromDate = DateArg.Parse(f, "--from");
            }

            if (p.GetValue(to) is { } t)
            {
                request.ToDate = DateArg.Parse(t, "--to");
            }

            var decisions = new List<Decision>();
            do
            {
                var page = await services.CallAsync("bodies", _ => client.ListDecisionsAsync(request, cancellationToken: ct).ResponseAsync);
                decisions.AddRange(page.Decisions);
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken.Length > 0);

            if (p.GetValue(Cli.Json))
            {
                foreach (var d in decisions)
                {
                    await ctx.Out.WriteLineAsync(Formatter.Format(d));
                }

                return ExitCodes.Ok;
            }

            var table = new Table("session date", "body", "decision", "kind", "rule", "for/against/out/absent", "bound", "title");
            foreach (var d in decisions)
            {
                table.Add(DateArg.Format(d.SessionDate), d.Body.Replace("bodies/", "", StringComparison.Ordinal), d.Name, d.Kind.ToString(), d.Rule.ToString(),
                    $"{d.Counts.Support}/{d.Counts.Object}/{d.Counts.NotParticipating}/{d.Counts.Absent}", string.Join(',', d.BoundStates.Select(s => s.State)), d.Title);
            }

            await ctx.Out.WriteLineAsync(table.ToString());
            await ctx.Out.WriteLineAsync($"{decisions.Count} decisions");
            return ExitCodes.Ok;
        });
        return command;
    }
}
