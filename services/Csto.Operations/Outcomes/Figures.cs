using Csto.Operations.Shared;
using Csto.Operations.V1;

namespace Csto.Operations.Outcomes;

/// <summary>Validation of reported figures and their kilogram-equivalents.</summary>
public static class Figures
{
    /// <summary>More than 1,000 t in one seizure line is a typing error, not a seizure.</summary>
    public const double MaxSeizureKg = 1_000_000;

    /// <summary>No count in one report reaches ten million.</summary>
    public const long MaxCount = 10_000_000;

    public const double MaxExplosivesKg = 1_000_000;

    /// <summary>The first invalid field of <paramref name="figures"/> (named under <paramref name="field"/>), or null.</summary>
    public static InvalidField? Validate(OutcomeFigures? figures, string field, KgConversion conversion)
    {
        if (figures is null)
        {
            return new InvalidField(field, "required");
        }

        for (var i = 0; i < figures.Seizures.Count; i++)
        {
            if (ValidateSeizure(figures.Seizures[i], $"{field}.seizures[{i}]", conversion) is { } badSeizure)
            {
                return badSeizure;
            }
        }

        if (ValidateCounts(figures, field, MaxCount) is { } badCount)
        {
            return badCount;
        }

        if (figures.Seizures.Count == 0 && figures.ExplosivesKg == 0 && Counts(figures).All(c => c.Value == 0))
        {
            return new InvalidField(field, "a report holds at least one seizure or count");
        }

        return null;
    }

    /// <summary>The first invalid field of one seizure line (named under <paramref name="at"/>), or null.</summary>
    public static InvalidField? ValidateSeizure(Seizure s, string at, KgConversion conversion)
    {
        if (!Enum.IsDefined(s.Substance) || s.Substance == Substance.Unspecified)
        {
            return new InvalidField(at + ".substance", "unknown substance");
        }

        if (!Enum.IsDefined(s.Unit) || s.Unit == Unit.Unspecified)
        {
            return new InvalidField(at + ".unit", "unknown unit; one of g, kg, t, l, tablets");
        }

        if (double.IsNaN(s.Amount) || double.IsInfinity(s.Amount) || s.Amount <= 0)
        {
            return new InvalidField(at + ".amount", "must be a positive number");
        }

        if (s.Unit == Unit.Tablet && s.Amount != Math.Floor(s.Amount))
        {
            return new InvalidField(at + ".amount", "tablets are counted in whole tablets");
        }

        if (conversion.ToKg(s.Substance, s.Amount, s.Unit).Kg > MaxSeizureKg)
        {
            return new InvalidField(at + ".amount", "more than 1,000 t in one seizure is not plausible");
        }

        foreach (var (name, code) in new[] { ("production_country", s.ProductionCountry), ("departure_country", s.DepartureCountry), ("destination_country", s.DestinationCountry) })
        {
            if (code.Length > 0 && StateCodes.Problem(code, $"{at}.{name}") is { } badCountry)
            {
                return badCountry;
            }
        }

        if (s.Place.Length > 500 || s.Route.Length > 200)
        {
            return new InvalidField(at + (s.Place.Length > 500 ? ".place" : ".route"), "too long");
        }

        return QualifierProblem(s.Qualifier, at + ".qualifier");
    }

    /// <summary>The first invalid count, explosives mass or qualifier of <paramref name="figures"/>, or null.</summary>
    public static InvalidField? ValidateCounts(OutcomeFigures figures, string field, long maxCount)
    {
        foreach (var (name, value) in Counts(figures))
        {
            if (value < 0)
            {
                return new InvalidField($"{field}.{name}", "must not be negative");
            }

            if (value > maxCount)
            {
                return new InvalidField($"{field}.{name}", "not plausible");
            }
        }

        if (double.IsNaN(figures.ExplosivesKg) || figures.ExplosivesKg < 0 || figures.ExplosivesKg > MaxExplosivesKg)
        {
            return new InvalidField(field + ".explosives_kg", "must be between 0 and 1,000,000 kg");
        }

        var named = new HashSet<string>(StringComparer.Ordinal);
        var known = Qualifiers.QualifiableFields.ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < figures.Qualifiers.Count; i++)
        {
            var q = figures.Qualifiers[i];
            var at = $"{field}.qualifiers[{i}]";
            if (!known.Contains(q.Field))
            {
                return new InvalidField(at + ".field", "one of " + string.Join(", ", known));
            }

            if (!named.Add(q.Field))
            {
                return new InvalidField(at + ".field", $"'{q.Field}' is qualified twice");
            }

            if (q.Qualifier == Qualifier.Unspecified)
            {
                return new InvalidField(at + ".qualifier", "say how exact the figure is (a figure not listed is exact)");
            }

            if (QualifierProblem(q.Qualifier, at + ".qualifier") is { } bad)
            {
                return bad;
            }
        }

        return null;
    }

    static InvalidField? QualifierProblem(Qualifier q, string field) =>
        Enum.IsDefined(q) ? null : new InvalidField(field, "unknown qualifier; one of exact, about, at least, at most");

    /// <summary>A copy with every seizure's kilogram-equivalent and conversion rule filled in.</summary>
    public static OutcomeFigures WithKgEquivalents(OutcomeFigures figures, KgConversion conversion)
    {
        var copy = figures.Clone();
        foreach (var s in copy.Seizures)
        {
            (s.KgEquivalent, s.Conversion) = conversion.ToKg(s.Substance, s.Amount, s.Unit);
        }

        return copy;
    }

    public static IEnumerable<(string Name, long Value)> Counts(OutcomeFigures f)
    {
        yield return ("firearms", f.Firearms);
        yield return ("ammunition_rounds", f.AmmunitionRounds);
        yield return ("crimes_detected", f.CrimesDetected);
        yield return ("criminal_groups_dismantled", f.CriminalGroupsDismantled);
        yield return ("persons_detained", f.PersonsDetained);
        yield return ("wanted_persons_found", f.WantedPersonsFound);
        yield return ("web_resources_blocked", f.WebResourcesBlocked);
        yield return ("migration_channels_closed", f.MigrationChannelsClosed);
        yield return ("personnel_engaged", f.PersonnelEngaged);
    }
}
