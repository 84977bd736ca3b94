using Csto.Testing;
using Csto.Operations.Outcomes;
using Csto.Operations.V1;
using Xunit;
using static Csto.Operations.Tests.Given;

namespace Csto.Operations.Tests;

public sealed class PublishedTotalsSpecs
{
    static readonly KgConversion Kg = KgConversion.Default;

    /// <summary>domain.md: about 245 t of drugs seized, of which more than 12 t heroin, about 5 t cocaine, 42 t hashish; more than 9,300 firearms; about 300,000 rounds.</summary>
    public static PublishedFigures ChannelCumulative()
    {
        var f = new PublishedFigures
        {
            DrugsKg = 245_000,
            DrugsQualifier = Qualifier.About,
            OfWhich =
            {
                Seized(Substance.Heroin, 12, Unit.Tonne, Qualifier.AtLeast),
                Seized(Substance.Cocaine, 5, Unit.Tonne, Qualifier.About),
                Seized(Substance.Hashish, 42, Unit.Tonne),
            },
            Counts = new OutcomeFigures
            {
                Firearms = 9_300,
                AmmunitionRounds = 300_000,
                Qualifiers = { Qualified("firearms", Qualifier.AtLeast), Qualified("ammunition_rounds", Qualifier.About) },
            },
        };
        return f;
    }

    static RecordPublishedTotals Record(PublishedFigures? figures, string asOf = "2025-12-31", string? from = null, string stage = "") =>
        new(stage, D(asOf), from is null ? null : D(from), figures, "cumulative figures reported for Channel in the source");

    [Fact]
    public void A_sources_cumulative_figures_are_recorded_with_their_qualifiers_and_kg_equivalents()
    {
        var recorded = Then.Single<PublishedTotalsRecorded>(Publishing.Record(Channel(), Kg, Record(ChannelCumulative())));

        Assert.Equal("operations/channel", recorded.Operation);
        Assert.Equal(D("2025-12-31"), recorded.AsOf);
        Assert.Null(recorded.FromDate);
        Assert.Equal(Qualifier.About, recorded.Figures.DrugsQualifier);
        Assert.Equal([(12_000.0, "1 t = 1,000 kg", Qualifier.AtLeast), (5_000, "1 t = 1,000 kg", Qualifier.About), (42_000, "1 t = 1,000 kg", Qualifier.Unspecified)],
            recorded.Figures.OfWhich.Select(s => (s.KgEquivalent, s.Conversion, s.Qualifier)));
        Assert.Equal("cumulative figures reported for Channel in the source", recorded.Description);
    }

    [Fact]
    public void A_published_aggregate_does_not_add_to_itemized_totals()
    {
        var reports = TotalsSpecs.MountainOutpostReports();
        var channel = Channel(Joined("RUS"), Joined("KAZ"), Joined("TJK"), MountainOutpost(),
            Reported("RUS", "2025-05-23", reports[0], "rus", Outpost), Reported("KAZ", "2025-05-23", reports[1], "kaz", Outpost), Reported("TJK", "2025-05-23", reports[2], "tjk", Outpost),
            Published("2025-06-30", ChannelCumulative()));

        var totals = TotalsCalculator.Compute(channel, Day("2025-12-31"));

        Assert.Equal(1742, totals.Total.DrugsKg);
        Assert.Equal(341, totals.Total.PrecursorsKg);
        Assert.Equal(34, totals.Total.Counts.Firearms);
        Assert.Equal(3, totals.Total.Reports);
        Assert.Equal(1742, totals.ByState.Sum(s => s.Totals.DrugsKg));
        Assert.Equal(1742, Assert.Single(totals.ByStage).Totals.DrugsKg);
        var published = Assert.Single(totals.Published);
        Assert.Equal(245_000, published.Figures.DrugsKg);
        Assert.Equal(D("2025-06-30"), published.AsOf);
        Assert.Equal("", published.Stage);
    }

    [Fact]
    public void Published_aggregates_are_listed_as_of_the_date_they_cover_up_to()
    {
        var channel = Channel(Published("2015-12-31", ChannelCumulative(), description: "to 2015"), Published("2025-06-30", ChannelCumulative(), description: "to mid-2025"));

        Assert.Empty(TotalsCalculator.Compute(channel, Day("2015-12-30")).Published);
        Assert.Equal(["to 2015"], TotalsCalculator.Compute(channel, Day("2020-01-01")).Published.Select(p => p.Description));
        Assert.Equal(["to 2015", "to mid-2025"], TotalsCalculator.Compute(channel, Day("2025-06-30")).Published.Select(p => p.Description));
    }

    [Fact]
    public void A_stage_aggregate_is_shown_with_its_stage_and_only_the_stages_when_asked_for_a_stage()
    {
        var channel = Channel(MountainOutpost(), Published("2025-05-23", new PublishedFigures { Counts = new OutcomeFigures { PersonnelEngaged = 17_000 } }, stage: Outpost), Published("2025-06-30", ChannelCumulative()));

        var all = TotalsCalculator.Compute(channel, Day("2025-12-31"));
        var stage = TotalsCalculator.Compute(channel, Day("2025-12-31"), Outpost);

        Assert.Equal([Outpost, ""], all.Published.Select(p => p.Stage));
        Assert.Equal("Channel-Mountain Outpost", all.Published[0].StageDisplayName);
        Assert.Equal(Outpost, Assert.Single(stage.Published).Stage);
    }

    [Fact]
    public void Totals_for_a_period_count_the_reports_dated_in_it_and_the_aggregates_that_cover_only_it()
    {
        var channel = Channel(Joined("KAZ"), Joined("RUS"),
            Reported("KAZ", "2012-06-10", Seizures(Seized(Substance.Heroin, 10)), "kaz"),
            Reported("RUS", "2013-03-12", Seizures(Seized(Substance.Hashish, 100)), "rus"),
            Reported("KAZ", "2014-01-05", Seizures(Seized(Substance.Opium, 7)), "kaz-2014"),
            Published("2013-12-31", ChannelCumulative(), from: "2013-01-01", description: "2013"),
            Published("2013-12-31", ChannelCumulative(), description: "since 2008"));

        var in2013 = TotalsCalculator.Compute(channel, Day("2013-12-31"), from: Day("2013-01-01"));

        Assert.Equal(100, in2013.Total.DrugsKg);
        Assert.Equal(1, in2013.Total.Reports);
        Assert.Equal(["RUS"], in2013.ByState.Select(s => s.State));
        Assert.Equal(D("2013-01-01"), in2013.FromDate);
        Assert.Equal(["2013"], in2013.Published.Select(p => p.Description));
        Assert.Null(TotalsCalculator.Compute(channel, Day("2013-12-31")).FromDate);
    }

    [Fact]
    public void A_stage_that_is_not_the_operations_is_refused() =>
        Then.Refused(Publishing.Record(Channel(), Kg, Record(ChannelCumulative(), stage: Outpost)), "UNKNOWN_STAGE");

    [Fact]
    public void Figures_cannot_cover_days_before_the_operation_began()
    {
        Then.Refused(Publishing.Record(Channel(), Kg, Record(ChannelCumulative(), asOf: "2007-12-31")), "DATE_OUTSIDE_OPERATION");
        Then.Refused(Publishing.Record(Channel(), Kg, Record(ChannelCumulative(), from: "2003-01-01")), "DATE_OUTSIDE_OPERATION");
    }

    [Fact]
    public void The_date_they_cover_up_to_is_required_and_the_period_starts_before_it()
    {
        Then.Invalid(Publishing.Record(Channel(), Kg, new RecordPublishedTotals("", null, null, ChannelCumulative(), "")), "as_of");
        Then.Invalid(Publishing.Record(Channel(), Kg, Record(ChannelCumulative(), asOf: "2013-01-01", from: "2013-06-01")), "from_date");
    }

    [Fact]
    public void Empty_figures_are_invalid()
    {
        Then.Invalid(Publishing.Record(Channel(), Kg, Record(null)), "figures");
        Then.Invalid(Publishing.Record(Channel(), Kg, Record(new PublishedFigures { DrugsQualifier = Qualifier.About, Counts = new OutcomeFigures() })), "figures");
    }

    [Fact]
    public void Negative_amounts_and_counts_are_invalid()
    {
        Then.Invalid(Publishing.Record(Channel(), Kg, Record(new PublishedFigures { DrugsKg = -1 })), "figures.drugs_kg");
        Then.Invalid(Publishing.Record(Channel(), Kg, Record(new PublishedFigures { PrecursorsKg = double.NaN })), "figures.precursors_kg");
        Then.Invalid(Publishing.Record(Channel(), Kg, Record(new PublishedFigures { Counts = new OutcomeFigures { Firearms = -5 } })), "figures.counts.firearms");
        Then.Invalid(Publishing.Record(Channel(), Kg, Record(new PublishedFigures { DrugsKg = 10, OfWhich = { Seized(Substance.Heroin, -1) } })), "figures.of_which[0].amount");
    }

    [Fact]
    public void Of_which_itemizes_drugs_and_counts_carry_no_seizures()
    {
        Then.Invalid(Publishing.Record(Channel(), Kg, Record(new PublishedFigures { DrugsKg = 10, OfWhich = { Seized(Substance.Heroin, 1), Seized(Substance.Precursor, 1) } })), "figures.of_which[1].substance");
        Then.Invalid(Publishing.Record(Channel(), Kg, Record(new PublishedFigures { DrugsKg = 10, Counts = Seizures(Seized(Substance.Heroin, 1)) })), "figures.counts.seizures");
    }

    [Fact]
    public void Published_count_qualifiers_follow_the_rules_of_report_qualifiers()
    {
        var figures = ChannelCumulative();
        figures.Counts.Qualifiers.Add(Qualified("firearms", Qualifier.About));
        Then.Invalid(Publishing.Record(Channel(), Kg, Record(figures)), "figures.counts.qualifiers[2].field");
        Then.Invalid(Publishing.Record(Channel(), Kg, Record(new PublishedFigures { DrugsKg = 1, DrugsQualifier = (Qualifier)12 })), "figures.drugs_qualifier");
    }

    [Fact]
    public void Figures_of_a_closed_operation_may_still_be_published() =>
        Then.Single<PublishedTotalsRecorded>(Publishing.Record(Channel(new OperationClosed { Operation = "operations/channel", EndDate = D("2025-12-31") }), Kg, Record(ChannelCumulative())));
}
