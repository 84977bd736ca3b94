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
            var s = figures.Seizures[i];
            var at = $"{field}.seizures[{i}]";
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
        }

        foreach (var (name, value) in Counts(figures))
        {
            if (value < 0)
            {
                return new InvalidField($"{field}.{name}", "must not be negative");
            }

            if (value > MaxCount)
            {
                return new InvalidField($"{field}.{name}", "not plausible in one report");
            }
        }

        if (double.IsNaN(figures.ExplosivesKg) || figures.ExplosivesKg < 0 || figures.ExplosivesKg > MaxExplosivesKg)
        {
            return new InvalidField(field + ".explosives_kg", "must be between 0 and 1,000,000 kg");
        }

        if (figures.Seizures.Count == 0 && figures.ExplosivesKg == 0 && Counts(figures).All(c => c.Value == 0))
        {
            return new InvalidField(field, "a report holds at least one seizure or count");
        }

        return null;
    }

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
