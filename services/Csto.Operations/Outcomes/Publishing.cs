using Csto.Common.V1;
using Csto.Operations.Operations;
using Csto.Operations.Shared;
using Csto.Operations.V1;

namespace Csto.Operations.Outcomes;

public sealed record RecordPublishedTotals(string Stage, Date? AsOf, Date? FromDate, PublishedFigures? Figures, string Description);

/// <summary>
/// Published aggregates: what a source reports for an operation (or a stage) as a whole, e.g. "about 245 t of drugs
/// seized, of which more than 12 t heroin". They are not itemized by state or report, so they are kept beside the
/// reports' totals and never added into them (that would count the same seizures twice). They may be recorded for a
/// closed operation or stage: they describe it, they do not report for it.
/// </summary>
public static class Publishing
{
    /// <summary>Published counts are cumulative (years of an operation): only a bound against typing errors.</summary>
    public const long MaxPublishedCount = 1_000_000_000;

    /// <summary>No aggregate of drugs seized by the members reaches 100,000 t.</summary>
    public const double MaxPublishedKg = 100_000_000;

    public static Verdict Record(OperationState operation, KgConversion conversion, RecordPublishedTotals command)
    {
        if (!Dates.TryGet(command.AsOf, out var asOf))
        {
            return Verdict.Invalid("as_of", "the date the figures cover up to is required");
        }

        DateOnly? from = null;
        if (command.FromDate is not null)
        {
            if (!Dates.TryGet(command.FromDate, out var f) || f > asOf)
            {
                return Verdict.Invalid("from_date", "a valid date on or before as_of (unset: since the operation began)");
            }

            from = f;
        }

        if (Validate(command.Figures, "figures", conversion) is { } invalid)
        {
            return Verdict.Of(invalid);
        }

        var description = (command.Description ?? "").Trim();
        if (description.Length > 1000)
        {
            return Verdict.Invalid("description", "at most 1,000 characters");
        }

        var stage = command.Stage ?? "";
        if (stage.Length > 0 && !operation.Stages.ContainsKey(stage))
        {
            return Verdict.Rule("UNKNOWN_STAGE", $"{operation.Name} has no stage '{stage}'");
        }

        if ((from ?? asOf) < operation.Start)
        {
            return Verdict.Rule("DATE_OUTSIDE_OPERATION", $"{operation.Name} starts on {operation.Start.ToIso()}; figures cannot cover days before it");
        }

        var figures = command.Figures!.Clone();
        foreach (var s in figures.OfWhich)
        {
            (s.KgEquivalent, s.Conversion) = conversion.ToKg(s.Substance, s.Amount, s.Unit);
        }

        return Verdict.Accept(new PublishedTotalsRecorded
        {
            Operation = operation.Name,
            Stage = stage,
            FromDate = from.ToProto(),
            AsOf = asOf.ToProto(),
            Figures = figures,
            Description = description,
        });
    }

    /// <summary>The first invalid field of published figures (named under <paramref name="field"/>), or null.</summary>
    public static InvalidField? Validate(PublishedFigures? figures, string field, KgConversion conversion)
    {
        if (figures is null)
        {
            return new InvalidField(field, "required");
        }

        foreach (var (name, kg, qualifier) in new[] { ("drugs", figures.DrugsKg, figures.DrugsQualifier), ("precursors", figures.PrecursorsKg, figures.PrecursorsQualifier) })
        {
            if (double.IsNaN(kg) || double.IsInfinity(kg) || kg < 0 || kg > MaxPublishedKg)
            {
                return new InvalidField($"{field}.{name}_kg", "a number of kilograms, not negative");
            }

            if (!Enum.IsDefined(qualifier))
            {
                return new InvalidField($"{field}.{name}_qualifier", "unknown qualifier; one of exact, about, at least, at most");
            }
        }

        for (var i = 0; i < figures.OfWhich.Count; i++)
        {
            var at = $"{field}.of_which[{i}]";
            if (Figures.ValidateSeizure(figures.OfWhich[i], at, conversion) is { } bad)
            {
                return bad;
            }

            if (figures.OfWhich[i].Substance == Substance.Precursor)
            {
                return new InvalidField(at + ".substance", "of_which itemizes drugs; precursors go in precursors_kg");
            }
        }

        var counts = figures.Counts ?? new OutcomeFigures();
        if (counts.Seizures.Count > 0)
        {
            return new InvalidField($"{field}.counts.seizures", "published seizures by substance go in of_which");
        }

        if (Figures.ValidateCounts(counts, field + ".counts", MaxPublishedCount) is { } badCount)
        {
            return badCount;
        }

        if (figures.DrugsKg == 0 && figures.PrecursorsKg == 0 && figures.OfWhich.Count == 0 && counts.ExplosivesKg == 0 && Figures.Counts(counts).All(c => c.Value == 0))
        {
            return new InvalidField(field, "published figures hold at least one amount or count");
        }

        return null;
    }
}
