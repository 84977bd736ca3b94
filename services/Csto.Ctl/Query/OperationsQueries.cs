using System.CommandLine;
using Csto.Ctl.Common;
using Csto.Operations.V1;
using Google.Protobuf;
using static Csto.Kernel.FigureWords;

namespace Csto.Ctl.Query;

/// <summary>query totals --operation NAME [--as-of] [--from] [--stage].</summary>
public static class OperationsQueries
{
    static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    public static Command Totals(CtlContext ctx)
    {
        var command = new Command("totals", "what an operation produced as of a date (or in a period): kg-equivalents by substance, by state and by stage, counts, and the aggregates sources published");
        var operation = new Option<string>("--operation") { Description = "operation name (e.g. Channel) or resource name", Required = true };
        var asOf = new Option<string?>("--as-of") { Description = "date (YYYY-MM-DD, default today)" };
        var from = new Option<string?>("--from") { Description = "only reports dated on or after this date (YYYY-MM-DD, default: since the operation began)" };
        var stage = new Option<string?>("--stage") { Description = "only this stage (display name or resource name)" };
        command.Options.Add(operation);
        command.Options.Add(asOf);
        command.Options.Add(from);
        command.Options.Add(stage);
        command.SetAction(async (p, ct) =>
        {
            using var services = ctx.Services(p);
            var client = new OperationsService.OperationsServiceClient(services.Channel("operations"));
            var wanted = p.GetValue(operation)!;
            var name = wanted;
            Operation? op = null;
            if (!wanted.StartsWith("operations/", StringComparison.Ordinal))
            {
                var named = await services.CallAsync("operations", _ => client.ListOperationsAsync(new ListOperationsRequest { DisplayName = wanted, PageSize = 1 }, cancellationToken: ct).ResponseAsync);
                if (named.Operations.Count == 0)
                {
                    var page = await services.CallAsync("operations", _ => client.ListOperationsAsync(new ListOperationsRequest { PageSize = 500 }, cancellationToken: ct).ResponseAsync);
                    throw new CtlException(ExitCodes.NotFound, $"no operation named '{wanted}'; known: {string.Join(", ", page.Operations.Select(o => o.DisplayName))}");
                }

                op = named.Operations[0];
                name = op.Name;
            }

            var request = new GetOperationTotalsRequest { Operation = name, AsOf = DateArg.Parse(p.GetValue(asOf), "--as-of"), FromDate = p.GetValue(from) is { } f ? DateArg.Parse(f, "--from") : null };
            op ??= (await services.CallAsync("operations", _ => client.GetOperationAsync(new GetOperationRequest { Name = name }, cancellationToken: ct).ResponseAsync)).Operation;
            if (p.GetValue(stage) is { } s)
            {
                request.Stage = s.Contains("/stages/", StringComparison.Ordinal) ? s
                    : op.Stages.FirstOrDefault(x => string.Equals(x.DisplayName, s, StringComparison.OrdinalIgnoreCase))?.Name
                      ?? throw new CtlException(ExitCodes.NotFound, $"{name} has no stage '{s}'");
            }

            var totals = (await services.CallAsync("operations", _ => client.GetOperationTotalsAsync(request, cancellationToken: ct).ResponseAsync)).Totals;
            if (p.GetValue(Cli.Json))
            {
                await ctx.Out.WriteLineAsync(Formatter.Format(totals));
                return ExitCodes.Ok;
            }

            var o = ctx.Out;
            var period = totals.FromDate is null ? "" : $" from {DateArg.Format(totals.FromDate)}";
            await o.WriteLineAsync($"{totals.Operation}{period} as of {DateArg.Format(totals.AsOf)}: {Qualified(totals.Total.DrugsQualifier, Kg(totals.Total.DrugsKg))} kg of drugs, {Qualified(totals.Total.PrecursorsQualifier, Kg(totals.Total.PrecursorsKg))} kg of precursors, {totals.Total.Reports} reports");
            if (op.RequestedBy.Length > 0 || op.LegalBasis.Length > 0)
            {
                await o.WriteLineAsync(Requested(op));
            }

            var bySubstance = new Table("substance", "kg-equivalent", "seizures");
            foreach (var x in totals.Total.BySubstance)
            {
                bySubstance.Add(Name(x.Substance.ToString()), Qualified(x.Qualifier, Kg(x.KgEquivalent)), x.Seizures);
            }

            await o.WriteLineAsync(bySubstance.ToString());
            var byState = new Table("state", "drugs kg", "precursors kg", "reports", "crimes", "detained", "firearms", "rounds", "web blocked", "personnel");
            foreach (var x in totals.ByState)
            {
                AddRow(byState, x.State, x.Totals);
            }

            AddRow(byState, "total", totals.Total);
            await o.WriteLineAsync(byState.ToString());
            if (totals.ByStage.Count > 0)
            {
                var byStage = new Table("stage", "drugs kg", "precursors kg", "reports");
                foreach (var x in totals.ByStage)
                {
                    byStage.Add(x.DisplayName.Length > 0 ? x.DisplayName : x.Stage, Kg(x.Totals.DrugsKg), Kg(x.Totals.PrecursorsKg), x.Totals.Reports);
                }

                await o.WriteLineAsync(byStage.ToString());
            }

            if (totals.Published.Count > 0)
            {
                await o.WriteLineAsync("published aggregates (as the sources report them; not added into the totals above):");
                foreach (var x in totals.Published)
                {
                    await o.WriteLineAsync("  " + Published(x));
                    await o.WriteLineAsync("    provenance: " + Provenances.Describe(x.Provenance));
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    static void AddRow(Table table, string label, Totals t)
    {
        var c = t.Counts;
        table.Add(label, Qualified(t.DrugsQualifier, Kg(t.DrugsKg)), Qualified(t.PrecursorsQualifier, Kg(t.PrecursorsKg)), t.Reports,
            Counted(c, "crimes_detected", c.CrimesDetected), Counted(c, "persons_detained", c.PersonsDetained), Counted(c, "firearms", c.Firearms),
            Counted(c, "ammunition_rounds", c.AmmunitionRounds), Counted(c, "web_resources_blocked", c.WebResourcesBlocked), Counted(c, "personnel_engaged", c.PersonnelEngaged));
    }

}
