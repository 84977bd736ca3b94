using Csto.Operations.Outcomes;
using Csto.Operations.V1;
using Microsoft.Extensions.Configuration;
using Xunit;
using static Csto.Operations.Tests.Given;

namespace Csto.Operations.Tests;

public sealed class TotalsSpecs
{
    /// <summary>
    /// The May 2025 "Channel-Mountain Outpost" report (domain.md): 1,742 kg of drugs plus 341 kg of precursors.
    /// The kinds it names add up to 1,699 kg; the other 43 kg are not itemized in the published figures and
    /// are recorded as "other drug".
    /// </summary>
    public static OutcomeFigures[] MountainOutpostReports()
    {
        var rus = Seizures(Seized(Substance.Mephedrone, 832), Seized(Substance.Heroin, 31_000, Unit.Gram), Seized(Substance.Precursor, 341, Unit.Litre));
        rus.PersonnelEngaged = 9_000;
        rus.CrimesDetected = 400;
        rus.PersonsDetained = 250;
        rus.WebResourcesBlocked = 955;
        rus.Firearms = 20;
        rus.AmmunitionRounds = 900;
        var kaz = Seizures(Seized(Substance.Marijuana, 350), Seized(Substance.Hashish, 0.188, Unit.Tonne));
        kaz.PersonnelEngaged = 5_000;
        kaz.CrimesDetected = 150;
        kaz.PersonsDetained = 100;
        kaz.Firearms = 10;
        kaz.AmmunitionRounds = 300;
        var tjk = Seizures(Seized(Substance.Opium, 298), Seized(Substance.OtherDrug, 43));
        tjk.PersonnelEngaged = 3_000;
        tjk.CrimesDetected = 86;
        tjk.PersonsDetained = 55;
        tjk.Firearms = 4;
        tjk.AmmunitionRounds = 100;
        return [rus, kaz, tjk];
    }

    [Fact]
    public void The_Mountain_Outpost_reports_total_1742_kg_of_drugs_and_341_kg_of_precursors()
    {
        var reports = MountainOutpostReports();
        var channel = Channel(Joined("RUS"), Joined("KAZ"), Joined("TJK"), MountainOutpost(),
            Reported("RUS", "2025-05-23", reports[0], "rus", Outpost), Reported("KAZ", "2025-05-23", reports[1], "kaz", Outpost), Reported("TJK", "2025-05-23", reports[2], "tjk", Outpost));

        var totals = TotalsCalculator.Compute(channel, Day("2025-05-23"), Outpost);

        Assert.Equal(1742, totals.Total.DrugsKg);
        Assert.Equal(341, totals.Total.PrecursorsKg);
        Assert.Equal(
            [(Substance.Heroin, 31.0), (Substance.Hashish, 188), (Substance.Marijuana, 350), (Substance.Opium, 298), (Substance.Mephedrone, 832), (Substance.OtherDrug, 43), (Substance.Precursor, 341)],
            totals.Total.BySubstance.Select(s => (s.Substance, s.KgEquivalent)));
        Assert.Equal(17_000, totals.Total.Counts.PersonnelEngaged);
        Assert.Equal(636, totals.Total.Counts.CrimesDetected);
        Assert.Equal(405, totals.Total.Counts.PersonsDetained);
        Assert.Equal(955, totals.Total.Counts.WebResourcesBlocked);
        Assert.Equal(34, totals.Total.Counts.Firearms);
        Assert.Equal(1_300, totals.Total.Counts.AmmunitionRounds);
        Assert.Equal(["KAZ", "RUS", "TJK"], totals.ByState.Select(s => s.State));
        Assert.Equal(1742 - 832 - 31, totals.ByState.Where(s => s.State != "RUS").Sum(s => s.Totals.DrugsKg));
        Assert.Equal(1742, Assert.Single(totals.ByStage).Totals.DrugsKg);
    }

    [Fact]
    public void Totals_as_of_a_date_count_reports_dated_by_then_at_their_latest_version_by_then()
    {
        var channel = Channel(Joined("KAZ"), Joined("RUS"), Joined("KGZ"),
            Reported("KAZ", "2012-06-10", Seizures(Seized(Substance.Heroin, 10)), "kaz"),
            Reported("RUS", "2012-06-12", Seizures(Seized(Substance.Hashish, 100)), "rus"),
            Reported("KGZ", "2012-07-05", Seizures(Seized(Substance.Opium, 7)), "kgz"),
            Corrected("kaz", 2, "2012-07-01", Seizures(Seized(Substance.Heroin, 12))));

        var june = TotalsCalculator.Compute(channel, Day("2012-06-30"));
        var july = TotalsCalculator.Compute(channel, Day("2012-07-31"));

        Assert.Equal(110, june.Total.DrugsKg);
        Assert.Equal(2, june.Total.Reports);
        Assert.Equal(119, july.Total.DrugsKg);
        Assert.Equal(3, july.Total.Reports);
        Assert.Equal(12, july.ByState.Single(s => s.State == "KAZ").Totals.DrugsKg);
        Assert.Equal(1, july.Total.BySubstance.Single(s => s.Substance == Substance.Heroin).Seizures); // a correction supersedes, it does not add
    }

    [Fact]
    public void Grams_tonnes_litres_and_tablets_convert_to_kilograms()
    {
        var kg = KgConversion.Default;
        Assert.Equal(0.5, kg.ToKg(Substance.Heroin, 500, Unit.Gram).Kg);
        Assert.Equal(2_500, kg.ToKg(Substance.Hashish, 2.5, Unit.Tonne).Kg);
        Assert.Equal(20, kg.ToKg(Substance.Precursor, 20, Unit.Litre).Kg);
        Assert.Equal(0.3, kg.ToKg(Substance.Mdma, 1_000, Unit.Tablet).Kg);
        Assert.Equal(0.25, kg.ToKg(Substance.Heroin, 1_000, Unit.Tablet).Kg); // the default mass per tablet
    }

    [Fact]
    public void Tablet_masses_come_from_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Operations:TabletMassGrams:METHAMPHETAMINE"] = "0.09",
            ["Operations:TabletMassGrams:Default"] = "0.5",
        }).Build();
        var kg = KgConversion.FromConfiguration(config);

        Assert.Equal(0.09, kg.ToKg(Substance.Methamphetamine, 1_000, Unit.Tablet).Kg);
        Assert.Equal(0.5, kg.ToKg(Substance.SyntheticOther, 1_000, Unit.Tablet).Kg);
        Assert.Equal(0.3, kg.ToKg(Substance.Mdma, 1_000, Unit.Tablet).Kg);
    }

    [Fact]
    public void A_tablet_mass_for_an_unknown_substance_is_a_configuration_error()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Operations:TabletMassGrams:ASPIRIN"] = "0.5" }).Build();
        Assert.Throws<InvalidOperationException>(() => KgConversion.FromConfiguration(config));
    }
}
