using Csto.Operations.Operations;
using Csto.Operations.Shared;
using Csto.Operations.V1;

namespace Csto.Operations.Outcomes;

/// <summary>
/// Totals as of a date, folded from the operation's state: every report dated on or before the date counts
/// once, at its latest version made on or before the date (a correction supersedes, it never adds).
/// Kilogram-equivalents are those recorded with each version; sums are taken in decimal so that
/// 350 + 188 + 298 + 832 + 31 is exactly 1,699. Every sum carries the combined qualifier of its parts
/// (<see cref="Qualifiers"/>), set explicitly. Published aggregates are listed beside the sums, never added in.
/// </summary>
public static class TotalsCalculator
{
    /// <summary>Totals of the reports dated from <paramref name="from"/> (unset: since the start) to <paramref name="asOf"/>, of one stage when given.</summary>
    public static OperationTotals Compute(OperationState operation, DateOnly asOf, string stage = "", DateOnly? from = null)
    {
        var counted = operation.Reports.Values
            .Where(r => from is null || r.ReportDate >= from)
            .Select(r => (Report: r, Version: r.AsOf(asOf)))
            .Where(x => x.Version is not null && (stage.Length == 0 || x.Report.Stage == stage))
            .Select(x => (x.Report, Version: x.Version!))
            .ToList();

        var totals = new OperationTotals { Operation = operation.Name, AsOf = asOf.ToProto(), FromDate = from.ToProto(), Total = Sum(counted.Select(x => x.Version.Figures)) };
        totals.ByState.AddRange(counted.GroupBy(x => x.Report.State, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new StateTotals { State = g.Key, Totals = Sum(g.Select(x => x.Version.Figures)) }));
        totals.ByStage.AddRange(operation.Stages.Values.Where(s => stage.Length == 0 || s.Name == stage).OrderBy(s => s.Start).ThenBy(s => s.Name, StringComparer.Ordinal)
            .Select(s => new StageTotals { Stage = s.Name, DisplayName = s.DisplayName, Totals = Sum(counted.Where(x => x.Report.Stage == s.Name).Select(x => x.Version.Figures)) }));
        totals.Published.AddRange(operation.Published
            .Where(p => p.AsOf <= asOf && (from is null || (p.From is { } pf && pf >= from)) && (stage.Length == 0 || p.Stage == stage))
            .OrderBy(p => p.AsOf).ThenBy(p => p.From ?? DateOnly.MinValue).ThenBy(p => p.Stage, StringComparer.Ordinal).ThenBy(p => p.EventId, StringComparer.Ordinal)
            .Select(p => ToApi(operation, p)));
        return totals;
    }

    public static PublishedTotals ToApi(OperationState operation, PublishedState p) => new()
    {
        Stage = p.Stage,
        StageDisplayName = p.Stage.Length > 0 && operation.Stages.TryGetValue(p.Stage, out var s) ? s.DisplayName : "",
        FromDate = p.From.ToProto(),
        AsOf = p.AsOf.ToProto(),
        Figures = p.Figures,
        Description = p.Description,
        SourceEventId = p.EventId,
        Provenance = p.Provenance,
    };

    public static Totals Sum(IEnumerable<OutcomeFigures> reports)
    {
        var bySubstance = new SortedDictionary<Substance, (decimal Kg, long Count, Qualifier Qualifier)>();
        var qualifiers = Qualifiers.QualifiableFields.ToDictionary(f => f, _ => Qualifier.Exact, StringComparer.Ordinal);
        var counts = new OutcomeFigures();
        decimal explosives = 0;
        var n = 0;
        foreach (var f in reports)
        {
            n++;
            foreach (var s in f.Seizures)
            {
                var (kg, count, qualifier) = bySubstance.GetValueOrDefault(s.Substance, (0m, 0L, Qualifier.Exact));
                bySubstance[s.Substance] = (kg + (decimal)s.KgEquivalent, count + 1, Qualifiers.Combine(qualifier, s.Qualifier));
            }

            foreach (var q in f.Qualifiers)
            {
                if (qualifiers.TryGetValue(q.Field, out var sofar))
                {
                    qualifiers[q.Field] = Qualifiers.Combine(sofar, q.Qualifier);
                }
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
        counts.Qualifiers.AddRange(qualifiers.Where(q => q.Value != Qualifier.Exact).Select(q => new FigureQualifier { Field = q.Key, Qualifier = q.Value })
            .OrderBy(q => Qualifiers.QualifiableFields.IndexOf(q.Field)));
        var totals = new Totals
        {
            DrugsKg = (double)bySubstance.Where(x => x.Key != Substance.Precursor).Sum(x => x.Value.Kg),
            DrugsQualifier = Qualifiers.Sum(bySubstance.Where(x => x.Key != Substance.Precursor).Select(x => x.Value.Qualifier)),
            PrecursorsKg = (double)bySubstance.Where(x => x.Key == Substance.Precursor).Sum(x => x.Value.Kg),
            PrecursorsQualifier = Qualifiers.Sum(bySubstance.Where(x => x.Key == Substance.Precursor).Select(x => x.Value.Qualifier)),
            Counts = counts,
            Reports = n,
        };
        totals.BySubstance.AddRange(bySubstance.Select(x => new SubstanceTotal { Substance = x.Key, KgEquivalent = (double)x.Value.Kg, Seizures = x.Value.Count, Qualifier = x.Value.Qualifier }));
        return totals;
    }
}
