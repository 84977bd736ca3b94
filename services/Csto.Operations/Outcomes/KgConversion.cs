using System.Collections.Immutable;
using System.Globalization;
using Csto.Operations.V1;
using Microsoft.Extensions.Configuration;

namespace Csto.Operations.Outcomes;

/// <summary>
/// How a reported amount becomes a kilogram-equivalent (so that totals add up):
/// g ÷ 1,000; kg as is; t × 1,000; 1 l = 1 kg (liquids and solutions are counted at the density of water,
/// as UNODC-style aggregates do when no density is reported); tablets × a configured mass per tablet of the
/// substance. The result is rounded to the milligram and recorded in the event with the rule applied, so
/// totals never change when the configuration does.
/// </summary>
/// <remarks>
/// Tablet masses, configuration section <c>Operations:TabletMassGrams</c> (key = the enum name without
/// prefix, e.g. <c>METHAMPHETAMINE</c>, or <c>Default</c>). Defaults: methamphetamine 0.1 g ("yaba"),
/// MDMA 0.3 g, amphetamine 0.2 g, psychotropic medicines 0.25 g, mephedrone 0.25 g, anything else 0.25 g.
/// </remarks>
public sealed class KgConversion(ImmutableDictionary<Substance, double> tabletMassGrams, double defaultTabletMassGrams)
{
    public const double DefaultTabletGrams = 0.25;

    public static readonly ImmutableDictionary<Substance, double> DefaultTabletMasses = new Dictionary<Substance, double>
    {
        [Substance.Methamphetamine] = 0.1,
        [Substance.Mdma] = 0.3,
        [Substance.Amphetamine] = 0.2,
        [Substance.Psychotropic] = 0.25,
        [Substance.Mephedrone] = 0.25,
    }.ToImmutableDictionary();

    public static readonly KgConversion Default = new(DefaultTabletMasses, DefaultTabletGrams);

    public double TabletGrams(Substance substance) => tabletMassGrams.TryGetValue(substance, out var g) ? g : defaultTabletMassGrams;

    public (double Kg, string Rule) ToKg(Substance substance, double amount, Unit unit)
    {
        var (kg, rule) = unit switch
        {
            Unit.Gram => (amount / 1000, "1 g = 0.001 kg"),
            Unit.Kilogram => (amount, "kg"),
            Unit.Tonne => (amount * 1000, "1 t = 1,000 kg"),
            Unit.Litre => (amount, "1 l = 1 kg"),
            Unit.Tablet => (amount * TabletGrams(substance) / 1000, "1 tablet = " + TabletGrams(substance).ToString("0.###", CultureInfo.InvariantCulture) + " g"),
            _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "no conversion"),
        };
        return (Math.Round(kg, 6, MidpointRounding.AwayFromZero), rule);
    }

    public static KgConversion FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Operations:TabletMassGrams");
        var masses = DefaultTabletMasses.ToBuilder();
        var fallback = DefaultTabletGrams;
        foreach (var child in section.GetChildren())
        {
            if (!double.TryParse(child.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var grams) || grams <= 0 || grams > 100)
            {
                throw new InvalidOperationException($"Operations:TabletMassGrams:{child.Key} must be a mass in grams between 0 and 100, not '{child.Value}'");
            }

            if (string.Equals(child.Key, "Default", StringComparison.OrdinalIgnoreCase))
            {
                fallback = grams;
            }
            else if (Enum.TryParse<Substance>(child.Key.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var substance) && substance != Substance.Unspecified)
            {
                masses[substance] = grams;
            }
            else
            {
                throw new InvalidOperationException($"Operations:TabletMassGrams:{child.Key}: unknown substance");
            }
        }

        return new KgConversion(masses.ToImmutable(), fallback);
    }
}
