using Csto.Testing;
using Csto.Operations.Outcomes;
using Csto.Operations.V1;
using Xunit;
using static Csto.Operations.Tests.Given;

namespace Csto.Operations.Tests;

public sealed class QualifierSpecs
{
    static readonly KgConversion Kg = KgConversion.Default;

    static ReportOutcome Report(string state, OutcomeFigures figures) => new("r1", state, "", D("2025-05-20"), figures);

    [Theory]
    [InlineData(Qualifier.Exact, Qualifier.Exact, Qualifier.Exact)]
    [InlineData(Qualifier.Exact, Qualifier.About, Qualifier.About)]
    [InlineData(Qualifier.Exact, Qualifier.AtLeast, Qualifier.AtLeast)]
    [InlineData(Qualifier.AtMost, Qualifier.Exact, Qualifier.AtMost)]
    [InlineData(Qualifier.AtLeast, Qualifier.AtLeast, Qualifier.AtLeast)]
    [InlineData(Qualifier.AtMost, Qualifier.AtMost, Qualifier.AtMost)]
    [InlineData(Qualifier.AtLeast, Qualifier.AtMost, Qualifier.About)]
    [InlineData(Qualifier.AtMost, Qualifier.AtLeast, Qualifier.About)]
    [InlineData(Qualifier.About, Qualifier.About, Qualifier.About)]
    [InlineData(Qualifier.About, Qualifier.AtLeast, Qualifier.About)]
    [InlineData(Qualifier.AtMost, Qualifier.About, Qualifier.About)]
    [InlineData(Qualifier.Unspecified, Qualifier.AtLeast, Qualifier.AtLeast)]
    [InlineData(Qualifier.Unspecified, Qualifier.Unspecified, Qualifier.Exact)]
    public void A_sum_is_as_exact_as_its_parts_allow(Qualifier a, Qualifier b, Qualifier sum)
    {
        Assert.Equal(sum, Qualifiers.Combine(a, b));
        Assert.Equal(sum, Qualifiers.Combine(b, a));
    }

    [Fact]
    public void A_sum_of_nothing_is_exact_and_an_unstated_qualifier_reads_as_exact()
    {
        Assert.Equal(Qualifier.Exact, Qualifiers.Sum([]));
        Assert.Equal(Qualifier.Exact, Qualifiers.Sum([Qualifier.Unspecified, Qualifier.Exact]));
        Assert.Equal(Qualifier.AtLeast, Qualifiers.Sum([Qualifier.Exact, Qualifier.AtLeast, Qualifier.Unspecified, Qualifier.AtLeast]));
    }

    [Fact]
    public void More_than_1300_rounds_plus_an_exact_count_is_more_than_the_sum()
    {
        var kaz = new OutcomeFigures { AmmunitionRounds = 1_300, Firearms = 34, Qualifiers = { Qualified("ammunition_rounds", Qualifier.AtLeast) } };
        var rus = new OutcomeFigures { AmmunitionRounds = 250, Firearms = 6 };
        var channel = Channel(Joined("KAZ"), Joined("RUS"), Reported("KAZ", "2025-05-20", kaz, "kaz"), Reported("RUS", "2025-05-21", rus, "rus"));

        var totals = TotalsCalculator.Compute(channel, Day("2025-05-31"));

        Assert.Equal(1_550, totals.Total.Counts.AmmunitionRounds);
        var q = Assert.Single(totals.Total.Counts.Qualifiers);
        Assert.Equal(("ammunition_rounds", Qualifier.AtLeast), (q.Field, q.Qualifier));
        Assert.Equal(40, totals.Total.Counts.Firearms); // exact: not listed
        Assert.Equal(Qualifier.AtLeast, Assert.Single(totals.ByState.Single(s => s.State == "KAZ").Totals.Counts.Qualifiers).Qualifier);
        Assert.Empty(totals.ByState.Single(s => s.State == "RUS").Totals.Counts.Qualifiers);
    }

    [Fact]
    public void An_exact_zero_does_not_change_a_qualifier_and_bounds_both_ways_make_an_approximation()
    {
        var a = new OutcomeFigures { PersonnelEngaged = 17_000, PersonsDetained = 100, Qualifiers = { Qualified("personnel_engaged", Qualifier.AtLeast), Qualified("persons_detained", Qualifier.AtLeast) } };
        var b = new OutcomeFigures { PersonsDetained = 50, CrimesDetected = 10, Qualifiers = { Qualified("persons_detained", Qualifier.AtMost) } };

        var sum = TotalsCalculator.Sum([a, b]);

        Assert.Equal([("persons_detained", Qualifier.About), ("personnel_engaged", Qualifier.AtLeast)], sum.Counts.Qualifiers.Select(q => (q.Field, q.Qualifier)));
    }

    [Fact]
    public void Seizure_qualifiers_carry_into_the_substance_and_drug_totals_and_exact_sums_say_exact()
    {
        var kaz = Seizures(Seized(Substance.Hashish, 42, Unit.Tonne, Qualifier.About), Seized(Substance.Heroin, 31));
        var rus = Seizures(Seized(Substance.Heroin, 12, Unit.Tonne, Qualifier.AtLeast), Seized(Substance.Precursor, 341, Unit.Litre));
        var channel = Channel(Joined("KAZ"), Joined("RUS"), Reported("KAZ", "2025-05-20", kaz, "kaz"), Reported("RUS", "2025-05-20", rus, "rus"));

        var totals = TotalsCalculator.Compute(channel, Day("2025-05-31"));

        Assert.Equal(Qualifier.About, totals.Total.DrugsQualifier);
        Assert.Equal(Qualifier.Exact, totals.Total.PrecursorsQualifier); // set explicitly, not left unspecified
        Assert.Equal(
            [(Substance.Heroin, 12_031.0, Qualifier.AtLeast), (Substance.Hashish, 42_000, Qualifier.About), (Substance.Precursor, 341, Qualifier.Exact)],
            totals.Total.BySubstance.Select(s => (s.Substance, s.KgEquivalent, s.Qualifier)));
        Assert.Equal(Qualifier.AtLeast, totals.ByState.Single(s => s.State == "RUS").Totals.DrugsQualifier);
    }

    [Fact]
    public void Totals_of_exact_reports_set_every_qualifier_to_exact()
    {
        var reports = TotalsSpecs.MountainOutpostReports();
        var totals = TotalsCalculator.Sum(reports);

        Assert.Equal(Qualifier.Exact, totals.DrugsQualifier);
        Assert.Equal(Qualifier.Exact, totals.PrecursorsQualifier);
        Assert.All(totals.BySubstance, s => Assert.Equal(Qualifier.Exact, s.Qualifier));
        Assert.Empty(totals.Counts.Qualifiers);
        Assert.Equal(Qualifier.Exact, TotalsCalculator.Sum([]).DrugsQualifier);
    }

    [Fact]
    public void A_report_keeps_its_qualifiers()
    {
        var figures = new OutcomeFigures { PersonnelEngaged = 17_000, Qualifiers = { Qualified("personnel_engaged", Qualifier.AtLeast) } };
        figures.Seizures.Add(Seized(Substance.Hashish, 188, Unit.Kilogram, Qualifier.About));

        var reported = Then.Single<OutcomeReported>(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", figures)));

        Assert.Equal(Qualifier.About, reported.Figures.Seizures[0].Qualifier);
        Assert.Equal(Qualifier.AtLeast, Qualifiers.Of(reported.Figures, "personnel_engaged"));
        Assert.Equal(Qualifier.Exact, Qualifiers.Of(reported.Figures, "firearms"));
    }

    [Fact]
    public void A_qualifier_names_a_count_of_the_figures()
    {
        var figures = new OutcomeFigures { Firearms = 34, Qualifiers = { Qualified("firearms", Qualifier.About), Qualified("heroin", Qualifier.About) } };
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", figures)), "figures.qualifiers[1].field");
    }

    [Fact]
    public void A_figure_is_qualified_once()
    {
        var figures = new OutcomeFigures { Firearms = 34, Qualifiers = { Qualified("firearms", Qualifier.About), Qualified("firearms", Qualifier.AtLeast) } };
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", figures)), "figures.qualifiers[1].field");
    }

    [Fact]
    public void An_unknown_or_unstated_qualifier_is_invalid()
    {
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", new OutcomeFigures { Firearms = 3, Qualifiers = { Qualified("firearms", (Qualifier)9) } })), "figures.qualifiers[0].qualifier");
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", new OutcomeFigures { Firearms = 3, Qualifiers = { Qualified("firearms", Qualifier.Unspecified) } })), "figures.qualifiers[0].qualifier");
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", Seizures(Seized(Substance.Heroin, 1, Unit.Kilogram, (Qualifier)7)))), "figures.seizures[0].qualifier");
    }

    [Fact]
    public void A_correction_with_a_bad_qualifier_is_invalid() =>
        Then.Invalid(
            Reporting.Correct(Channel(Joined("KAZ"), Reported("KAZ", "2012-05-10", new OutcomeFigures { Firearms = 3 })), Kg, new CorrectOutcome("operations/channel/reports/r1", "KAZ", D("2012-05-20"), "recount", new OutcomeFigures { Firearms = 3, Qualifiers = { Qualified("rounds", Qualifier.About) } })),
            "figures.qualifiers[0].field");
}
