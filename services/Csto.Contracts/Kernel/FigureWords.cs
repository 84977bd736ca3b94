using System.Globalization;
using Csto.Operations.V1;

namespace Csto.Kernel;

/// <summary>Figures in words, with their qualifiers ("about 245,000", "more than 1,300"): cstoctl and the console say them the same way.</summary>
public static class FigureWords
{
    public static string Kg(double kg) => kg.ToString("#,0.###", CultureInfo.InvariantCulture);

    public static string Count(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);

    /// <summary>"about 245,000", "more than 1,300", "at most 40"; the figure alone when exact.</summary>
    public static string Qualified(Qualifier qualifier, string figure) => qualifier switch
    {
        Qualifier.About => "about " + figure,
        Qualifier.AtLeast => "more than " + figure,
        Qualifier.AtMost => "at most " + figure,
        _ => figure,
    };

    public static Qualifier QualifierOf(OutcomeFigures counts, string field) =>
        counts.Qualifiers.FirstOrDefault(q => string.Equals(q.Field, field, StringComparison.Ordinal))?.Qualifier ?? Qualifier.Exact;

    public static string Counted(OutcomeFigures counts, string field, long value) => Qualified(QualifierOf(counts, field), Count(value));

    /// <summary>"requested by KAZ under Collective Security Treaty, Article 4".</summary>
    public static string Requested(Operation op) =>
        (op.RequestedBy.Length > 0 ? "requested by " + op.RequestedBy : "requested") + (op.LegalBasis.Length > 0 ? " under " + op.LegalBasis : "");

    /// <summary>One published aggregate in words: "operation, to 2025-06-30: about 245,000 kg of drugs, of which more than 12,000 kg heroin; more than 9,300 firearms (cumulative figures)".</summary>
    public static string Published(PublishedTotals p)
    {
        var f = p.Figures ?? new PublishedFigures();
        var parts = new List<string>();
        if (f.DrugsKg > 0 || f.OfWhich.Count > 0)
        {
            var drugs = Qualified(f.DrugsQualifier, Kg(f.DrugsKg)) + " kg of drugs";
            if (f.OfWhich.Count > 0)
            {
                drugs += ", of which " + string.Join(", ", f.OfWhich.Select(s => Qualified(s.Qualifier, Kg(s.KgEquivalent)) + " kg " + Name(s.Substance.ToString())));
            }

            parts.Add(drugs);
        }

        if (f.PrecursorsKg > 0)
        {
            parts.Add(Qualified(f.PrecursorsQualifier, Kg(f.PrecursorsKg)) + " kg of precursors");
        }

        parts.AddRange(CountParts(f.Counts ?? new OutcomeFigures()));

        var scope = p.Stage.Length == 0 ? "operation" : p.StageDisplayName.Length > 0 ? p.StageDisplayName : p.Stage;
        var period = (p.FromDate is null ? "" : Dates.Format(p.FromDate)) + " to " + Dates.Format(p.AsOf);
        return $"{scope}, {period.TrimStart()}: {string.Join("; ", parts)}" + (p.Description.Length > 0 ? $" ({p.Description})" : "");
    }

    public static string Name(string enumName) => string.Concat(enumName.Select((c, i) => i > 0 && char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>An outcome's counts in words: "more than 17,000 personnel; 636 crimes detected; …".</summary>
    public static string Counts(OutcomeFigures counts) => string.Join("; ", CountParts(counts));

    static List<string> CountParts(OutcomeFigures c)
    {
        var parts = new List<string>();
        foreach (var (field, value, what) in new (string, long, string)[]
        {
            ("personnel_engaged", c.PersonnelEngaged, "personnel"), ("crimes_detected", c.CrimesDetected, "crimes detected"),
            ("criminal_groups_dismantled", c.CriminalGroupsDismantled, "criminal groups dismantled"), ("persons_detained", c.PersonsDetained, "persons detained"),
            ("wanted_persons_found", c.WantedPersonsFound, "wanted persons found"), ("firearms", c.Firearms, "firearms"), ("ammunition_rounds", c.AmmunitionRounds, "rounds"),
            ("web_resources_blocked", c.WebResourcesBlocked, "web resources blocked"), ("migration_channels_closed", c.MigrationChannelsClosed, "migration channels closed"),
        })
        {
            if (value > 0)
            {
                parts.Add($"{Counted(c, field, value)} {what}");
            }
        }

        if (c.ExplosivesKg > 0)
        {
            parts.Add($"{Qualified(QualifierOf(c, "explosives_kg"), Kg(c.ExplosivesKg))} kg of explosives");
        }

        return parts;
    }
}
