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
        var command = new Command("chair", "who chairs the Collective Security Council (or --body) on a date, and the Secretary General; --history: both posts over time");
        var asOf = new Option<string?>("--as-of") { Description = "date (YYYY-MM-DD, default today)" };
        var body = new Option<string>("--body") { Description = "body id", DefaultValueFactory = _ => "csc" };
        var history = new Option<bool>("--history") { Description = "every chair and every Secretary General's term, with basis, dates and provenance" };
        command.Options.Add(asOf);
        command.Options.Add(body);
        command.Options.Add(history);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var date = DateArg.Parse(p.GetValue(asOf), "--as-of");
            var client = new BodiesService.BodiesServiceClient(services.Channel("bodies"));
            if (p.GetValue(history))
            {
                return await HistoryAsync(ctx, services, client, "bodies/" + p.GetValue(body), p.GetValue(Cli.Json), ct);
            }

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

            var table = new Table("as of", "chair", "since", "until", "basis", "session", "decision");
            table.Add(DateArg.Format(chair.AsOf ?? date), chair.State, DateArg.Format(chair.Since), chair.Until is null ? "" : DateArg.Format(chair.Until), Basis(chair.Basis), chair.Session, chair.Decision);
            await ctx.Out.WriteLineAsync(table.ToString());
            await ctx.Out.WriteLineAsync($"provenance: {Provenances.Describe(chair.Provenance)}");
            await ctx.Out.WriteLineAsync(sg?.Term is { } t
                ? $"Secretary General: {Term(t)}\nprovenance: {Provenances.Describe(t.Provenance)}"
                : "Secretary General: none in office on that date");
            return ExitCodes.Ok;
        });
        return command;
    }

    static async Task<int> HistoryAsync(CtlContext ctx, ServiceDirectory services, BodiesService.BodiesServiceClient client, string body, bool json, CancellationToken ct)
    {
        var chairs = await services.CallAsync("bodies", _ => client.ListChairsAsync(new ListChairsRequest { Body = body }, cancellationToken: ct).ResponseAsync);
        var terms = await services.CallAsync("bodies", _ => client.ListSecretariesGeneralAsync(new ListSecretariesGeneralRequest(), cancellationToken: ct).ResponseAsync);
        if (json)
        {
            await ctx.Out.WriteLineAsync(Formatter.Format(chairs));
            await ctx.Out.WriteLineAsync(Formatter.Format(terms));
            return ExitCodes.Ok;
        }

        var table = new Table("chair", "since", "until", "basis", "session / decision", "provenance");
        foreach (var c in chairs.Chairs)
        {
            table.Add(c.State, DateArg.Format(c.Since), c.Until is null ? "" : DateArg.Format(c.Until), Basis(c.Basis), c.Decision.Length > 0 ? c.Decision : c.Session, Provenances.Describe(c.Provenance));
        }

        await ctx.Out.WriteLineAsync(table.ToString());
        var sgs = new Table("Secretary General", "from", "to", "how", "decision", "provenance");
        foreach (var t in terms.Terms)
        {
            var how = string.Join(", ", new[] { t.Acting ? "acting" : "", t.Reappointment ? "reappointed" : "", t.EndedOn is null ? "" : $"{Reason(t.EndReason)} (term to {DateArg.Format(t.TermEnd)})" }.Where(x => x.Length > 0));
            sgs.Add($"{t.PersonName} ({t.Citizenship})", DateArg.Format(t.TermStart), DateArg.Format(t.EndedOn ?? t.TermEnd), how, t.Decision, Provenances.Describe(t.EndProvenance ?? t.Provenance));
        }

        await ctx.Out.WriteLineAsync(sgs.ToString());
        return ExitCodes.Ok;
    }

    static string Term(SecretaryGeneralTerm t) =>
        $"{t.PersonName} ({t.Citizenship}){(t.Acting ? ", acting" : "")}{(t.Reappointment ? ", reappointed" : "")}, {DateArg.Format(t.TermStart)} to {DateArg.Format(t.EndedOn ?? t.TermEnd)}"
        + (t.EndedOn is null ? "" : $" ({Reason(t.EndReason)}; the term ran to {DateArg.Format(t.TermEnd)})");

    static string Basis(ChairBasis basis) => basis switch
    {
        ChairBasis.HostOfRegularSession => "host of the regular session (Article 13)",
        ChairBasis.HandoverAtSession => "handed over at the session",
        ChairBasis.CouncilDecision => "Council decision",
        _ => "",
    };

    static string Reason(TermEndReason reason) => reason switch
    {
        TermEndReason.Recalled => "recalled",
        TermEndReason.Resigned => "resigned",
        _ => "ended early",
    };

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

    public static Command Sessions(CtlContext ctx)
    {
        var command = new Command("sessions", "sessions by body, year and host state");
        var body = new Option<string?>("--body") { Description = "body id, e.g. csc" };
        var year = new Option<int>("--year") { Description = "year of the session" };
        var host = new Option<string?>("--host") { Description = "host state (ISO alpha-3)" };
        command.Options.Add(body);
        command.Options.Add(year);
        command.Options.Add(host);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var client = new BodiesService.BodiesServiceClient(services.Channel("bodies"));
            var request = new ListSessionsRequest { PageSize = 500, Year = p.GetValue(year), HostState = p.GetValue(host) ?? "", Body = p.GetValue(body) is { } b ? "bodies/" + b : "" };
            var sessions = new List<Session>();
            do
            {
                var page = await services.CallAsync("bodies", _ => client.ListSessionsAsync(request, cancellationToken: ct).ResponseAsync);
                sessions.AddRange(page.Sessions);
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken.Length > 0);

            if (p.GetValue(Cli.Json))
            {
                sessions.ForEach(s => ctx.Out.WriteLine(Formatter.Format(s)));
                return ExitCodes.Ok;
            }

            var table = new Table("date", "body", "session", "place", "host", "regular", "chair handed to", "provenance");
            foreach (var s in sessions)
            {
                table.Add(DateArg.Format(s.Date), s.Body.Replace("bodies/", "", StringComparison.Ordinal), s.Name, s.Place, s.HostState, s.Regular ? "yes" : "no", s.ChairHandedTo, Provenances.Describe(s.Provenance));
            }

            await ctx.Out.WriteLineAsync(table.ToString());
            await ctx.Out.WriteLineAsync($"{sessions.Count} sessions");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Positions(CtlContext ctx)
    {
        var command = new Command("positions", "what a state supported, objected to or stayed out of");
        var state = new Option<string>("--state") { Description = "ISO alpha-3 of the state", Required = true };
        var position = new Option<string?>("--position") { Description = "support, object, not-participating or absent" };
        command.Options.Add(state);
        command.Options.Add(position);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var client = new BodiesService.BodiesServiceClient(services.Channel("bodies"));
            var request = new ListStatePositionsRequest { State = p.GetValue(state)!, PageSize = 500 };
            if (p.GetValue(position) is { } text)
            {
                request.Position = Enum.TryParse<Position>(text.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var parsed) && parsed != Position.Unspecified
                    ? parsed
                    : throw new CtlException(ExitCodes.Usage, "--position: support, object, not-participating or absent");
            }

            var entries = new List<StatePositionEntry>();
            do
            {
                var page = await services.CallAsync("bodies", _ => client.ListStatePositionsAsync(request, cancellationToken: ct).ResponseAsync);
                entries.AddRange(page.Positions);
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken.Length > 0);

            if (p.GetValue(Cli.Json))
            {
                entries.ForEach(e => ctx.Out.WriteLine(Formatter.Format(e)));
                return ExitCodes.Ok;
            }

            var table = new Table("session date", "body", "draft", "position", "outcome", "rule", "title");
            foreach (var e in entries)
            {
                table.Add(DateArg.Format(e.SessionDate), e.Body.Replace("bodies/", "", StringComparison.Ordinal), e.Draft, e.Position.ToString(), e.Outcome.ToString(), e.Rule.ToString(), e.Title);
            }

            await ctx.Out.WriteLineAsync(table.ToString());
            await ctx.Out.WriteLineAsync($"{entries.Count} positions of {request.State}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
