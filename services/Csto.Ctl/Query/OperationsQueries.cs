using System.CommandLine;
using System.Globalization;
using Csto.Ctl.Common;
using Csto.Operations.V1;
using Google.Protobuf;

namespace Csto.Ctl.Query;

/// <summary>query totals --operation NAME [--as-of] [--stage].</summary>
public static class OperationsQueries
{
    static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    public static Command Totals(CtlContext ctx)
    {
        var command = new Command("totals", "what an operation produced as of a date: kg-equivalents by substance, by state and by stage, and counts");
        var operation = new Option<string>("--operation") { Description = "operation name (e.g. Channel) or resource name", Required = true };
        var asOf = new Option<string?>("--as-of") { Description = "date (YYYY-MM-DD, default today)" };
        var stage = new Option<string?>("--stage") { Description = "only this stage (display name or resource name)" };
        command.Options.Add(operation);
        command.Options.Add(asOf);
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
                var page = await services.CallAsync("operations", _ => client.ListOperationsAsync(new ListOperationsRequest { PageSize = 500 }, cancellationToken: ct).ResponseAsync);
                op = page.Operations.FirstOrDefault(o => string.Equals(o.DisplayName, wanted, StringComparison.OrdinalIgnoreCase))
                    ?? throw new CtlException(ExitCodes.NotFound, $"no operation named '{wanted}'; known: {string.Join(", ", page.Operations.Select(o => o.DisplayName))}");
                name = op.Name;
            }

            var request = new GetOperationTotalsRequest { Operation = name, AsOf = DateArg.Parse(p.GetValue(asOf), "--as-of") };
            if (p.GetValue(stage) is { } s)
            {
                op ??= (await services.CallAsync("operations", _ => client.GetOperationAsync(new GetOperationRequest { Name = name }, cancellationToken: ct).ResponseAsync)).Operation;
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
            await o.WriteLineAsync($"{totals.Operation} as of {DateArg.Format(totals.AsOf)}: {Kg(totals.Total.DrugsKg)} kg of drugs, {Kg(totals.Total.PrecursorsKg)} kg of precursors, {totals.Total.Reports} reports");
            var bySubstance = new Table("substance", "kg-equivalent", "seizures");
            foreach (var x in totals.Total.BySubstance)
            {
                bySubstance.Add(Name(x.Substance.ToString()), Kg(x.KgEquivalent), x.Seizures);
            }

            await o.WriteLineAsync(bySubstance.ToString());
            var byState = new Table("state", "drugs kg", "precursors kg", "reports", "crimes", "detained", "firearms", "rounds", "web blocked", "personnel");
            foreach (var x in totals.ByState)
            {
                var c = x.Totals.Counts;
                byState.Add(x.State, Kg(x.Totals.DrugsKg), Kg(x.Totals.PrecursorsKg), x.Totals.Reports, c.CrimesDetected, c.PersonsDetained, c.Firearms, c.AmmunitionRounds, c.WebResourcesBlocked, c.PersonnelEngaged);
            }

            var t = totals.Total.Counts;
            byState.Add("total", Kg(totals.Total.DrugsKg), Kg(totals.Total.PrecursorsKg), totals.Total.Reports, t.CrimesDetected, t.PersonsDetained, t.Firearms, t.AmmunitionRounds, t.WebResourcesBlocked, t.PersonnelEngaged);
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

            return ExitCodes.Ok;
        });
        return command;
    }

    static string Kg(double kg) => kg.ToString("#,0.###", CultureInfo.InvariantCulture);

    static string Name(string enumName) => string.Concat(enumName.Select((c, i) => i > 0 && char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
