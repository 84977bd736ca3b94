using Csto.Operations.Operations;
using Csto.Operations.Shared;
using Csto.Operations.V1;

namespace Csto.Operations.Outcomes;

/// <summary>
/// Totals as of a date, folded from the operation's state: every report dated on or before the date counts
/// once, at its latest version made on or before the date (a correction supersedes, it never adds).
/// Kilogram-equivalents are those recorded with each version; sums are taken in decimal so that
/// 350 + 188 + 298 + 832 + 31 is exactly 1,699.
/// </summary>
public static class TotalsCalculator
{
    public static OperationTotals Compute(OperationState operation, DateOnly asOf, string stage = "")
    {
        var counted = operation.Reports.Values
            .Select(r => (Report: r, Version: r.AsOf(asOf)))
            .Where(x => x.Version is not null && (stage.Length == 0 || x.Report.Stage == stage))
            .Select(x => (x.Report, Version: x.Version!))
            .ToList();

        var totals = new OperationTotals { Operation = operation.Name, AsOf = asOf.ToProto(), Total = Sum(counted.Select(x => x.Version.Figures)) };
        totals.ByState.AddRange(counted.GroupBy(x => x.Report.State, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new StateTotals { State = g.Key, Totals = Sum(g.Select(x => x.Version.Figures)) }));
        totals.ByStage.AddRange(operation.Stages.Values.Where(s => stage.Length == 0 || s.Name == stage).OrderBy(s => s.Start).ThenBy(s => s.Name, StringComparer.Ordinal)
            .Select(s => new StageTotals { Stage = s.Name, DisplayName = s.DisplayName, Totals = Sum(counted.Where(x => x.Report.Stage == s.Name).Select(x => x.Version.Figures)) }));
        return totals;
    }

    public static Totals Sum(IEnumerable<OutcomeFigures> reports)
    {
        var bySubstance = new SortedDictionary<Substance, (decimal Kg, long Count)>();
        var counts = new OutcomeFigures();
        decimal explosives = 0;
        var n = 0;
        foreach (var f in reports)
        {
            n++;
            foreach (var s in f.Seizures)
            {
                var (kg, count) = bySubstance.GetValueOrDefault(s.Substance);
                bySubstance[s.Substance] = (kg + (decimal)s.KgEquivalent, count + 1);
            }

            counts.Firearms += f.Firearms;
            counts.AmmunitionRounds += f.AmmunitionRounds;
            explosives += (decimal)f.ExplosivesKg;
            counts.CrimesDetected += f.CrimesDetected;
            counts.CriminalGroupsDismantled += f.CriminalGroupsDismantled;
            counts.PersonsDetained += f.PersonsDetained;
            counts.WantedPersonsFound += f.WantedPersonsFound;
            counts.WebResourcesBlocked += f.WebResourcesBlocked;
            counts.MigrationChannelsClosed += f.MigrationChannelsClosed;
            counts.PersonnelEngaged += f.PersonnelEngaged;
        }

        counts.ExplosivesKg = (double)explosives;
        var totals = new Totals
        {
            DrugsKg = (double)bySubstance.Where(x => x.Key != Substance.Precursor).Sum(x => x.Value.Kg),
            PrecursorsKg = (double)bySubstance.Where(x => x.Key == Substance.Precursor).Sum(x => x.Value.Kg),
            Counts = counts,
            Reports = n,
        };
        totals.BySubstance.AddRange(bySubstance.Select(x => new SubstanceTotal { Substance = x.Key, KgEquivalent = (double)x.Value.Kg, Seizures = x.Value.Count }));
        return totals;
    }
}
