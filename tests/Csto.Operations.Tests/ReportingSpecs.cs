using Csto.Testing;
using Csto.Membership.V1;
using Csto.Operations.Outcomes;
using Csto.Operations.V1;
using Xunit;
using static Csto.Operations.Tests.Given;

namespace Csto.Operations.Tests;

public sealed class ReportingSpecs
{
    static readonly KgConversion Kg = KgConversion.Default;

    static ReportOutcome Report(string state, string day, OutcomeFigures figures, string stage = "") => new("r1", state, stage, D(day), figures);

    static OutcomeFigures Heroin(double kg) => Seizures(Seized(Substance.Heroin, kg));

    [Fact]
    public void A_participant_reports_seizures_in_their_units_with_kg_equivalents()
    {
        var figures = Seizures(Seized(Substance.Heroin, 31_000, Unit.Gram), Seized(Substance.Precursor, 341, Unit.Litre), Seized(Substance.Methamphetamine, 1200, Unit.Tablet));
        figures.Seizures[0].Place = "Nizhny Pyandzh";
        figures.Seizures[0].ProductionCountry = "AFG";
        figures.Seizures[0].DestinationCountry = "RUS";
        figures.Firearms = 34;

        var reported = Then.Single<OutcomeReported>(Reporting.Report(Channel(Joined("TJK")), Members(), Kg, Report("TJK", "2012-05-10", figures)));

        Assert.Equal("operations/channel/reports/r1", reported.Report);
        Assert.Equal([31, 341, 0.12], reported.Figures.Seizures.Select(s => s.KgEquivalent));
        Assert.Equal(["1 g = 0.001 kg", "1 l = 1 kg", "1 tablet = 0.1 g"], reported.Figures.Seizures.Select(s => s.Conversion));
        Assert.Equal(31_000, reported.Figures.Seizures[0].Amount); // the original unit and amount are kept
        Assert.Equal(Unit.Gram, reported.Figures.Seizures[0].Unit);
    }

    [Fact]
    public void An_observer_never_reports()
    {
        Then.Refused(Reporting.Report(Channel(Observing("IRN")), Members(), Kg, Report("IRN", "2012-05-10", Heroin(1))), "OBSERVER_CANNOT_REPORT");
        // an observing organization has no state code to report under
        Then.Invalid(Reporting.Report(Channel(Observing("UNODC", ObserverKind.Organization)), Members(), Kg, Report("UNODC", "2012-05-10", Heroin(1))), "state");
    }

    [Fact]
    public void An_observer_state_reporting_is_refused_as_observer() =>
        Then.Refused(Reporting.Report(Channel(Observing("IRN")), Members(), Kg, Report("IRN", "2012-05-10", Heroin(1))), "OBSERVER_CANNOT_REPORT");

    [Fact]
    public void A_state_that_does_not_take_part_cannot_report() =>
        Then.Refused(Reporting.Report(Channel(Joined("RUS")), Members(), Kg, Report("KAZ", "2012-05-10", Heroin(1))), "NOT_A_PARTICIPANT");

    [Fact]
    public void A_report_dated_before_the_state_joined_is_refused() =>
        Then.Refused(Reporting.Report(Channel(Joined("KAZ", "2012-06-01")), Members(), Kg, Report("KAZ", "2012-05-10", Heroin(1))), "NOT_A_PARTICIPANT");

    [Fact]
    public void A_suspended_states_report_dated_after_its_suspension_is_refused() =>
        Then.Refused(Reporting.Report(Channel(Joined("UZB", "2012-01-10")), Members(("UZB", MemberStatus.Suspended, "2012-12-19")), Kg, Report("UZB", "2013-01-15", Heroin(1))), "STATE_HAS_NO_VOICE");

    [Fact]
    public void A_suspended_states_report_dated_before_its_suspension_is_accepted() =>
        Then.Single<OutcomeReported>(Reporting.Report(Channel(Joined("UZB", "2012-01-10")), Members(("UZB", MemberStatus.Suspended, "2012-12-19")), Kg, Report("UZB", "2012-11-01", Heroin(1))));

    [Fact]
    public void A_report_dated_outside_the_operation_is_refused() =>
        Then.Refused(Reporting.Report(Channel(Joined("KAZ", "2008-01-01")), Members(), Kg, Report("KAZ", "2007-12-31", Heroin(1))), "REPORT_OUTSIDE_OPERATION");

    [Fact]
    public void A_stage_report_dated_outside_the_stage_is_refused() =>
        Then.Refused(Reporting.Report(Channel(Joined("KAZ"), MountainOutpost()), Members(), Kg, Report("KAZ", "2025-05-24", Heroin(1), Outpost)), "REPORT_OUTSIDE_STAGE");

    [Fact]
    public void A_report_on_an_unknown_stage_is_refused() =>
        Then.Refused(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", "2025-05-20", Heroin(1), Outpost)), "UNKNOWN_STAGE");

    [Fact]
    public void A_report_on_a_closed_stage_is_refused() =>
        Then.Refused(Reporting.Report(Channel(Joined("KAZ"), MountainOutpost(), new StageClosed { Operation = "operations/channel", Stage = Outpost, EndDate = D("2025-05-23") }), Members(), Kg, Report("KAZ", "2025-05-20", Heroin(1), Outpost)), "STAGE_CLOSED");

    [Fact]
    public void A_report_on_a_closed_operation_is_refused() =>
        Then.Refused(Reporting.Report(Channel(Joined("KAZ"), new OperationClosed { Operation = "operations/channel", EndDate = D("2025-12-31") }), Members(), Kg, Report("KAZ", "2025-05-20", Heroin(1))), "OPERATION_CLOSED");

    [Theory]
    [InlineData(-5.0, "figures.seizures[0].amount")]
    [InlineData(0.0, "figures.seizures[0].amount")]
    [InlineData(double.NaN, "figures.seizures[0].amount")]
    [InlineData(2_000_000.0, "figures.seizures[0].amount")]
    public void A_negative_zero_or_absurd_amount_is_invalid(double kg, string field) =>
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", "2012-05-10", Heroin(kg))), field);

    [Fact]
    public void An_unknown_unit_is_invalid() =>
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", "2012-05-10", Seizures(Seized(Substance.Heroin, 1, Unit.Unspecified)))), "figures.seizures[0].unit");

    [Fact]
    public void An_unknown_substance_is_invalid() =>
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", "2012-05-10", Seizures(Seized(Substance.Heroin, 1), Seized((Substance)77, 1)))), "figures.seizures[1].substance");

    [Fact]
    public void Half_a_tablet_is_invalid() =>
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", "2012-05-10", Seizures(Seized(Substance.Mdma, 10.5, Unit.Tablet)))), "figures.seizures[0].amount");

    [Fact]
    public void A_malformed_country_of_production_is_invalid()
    {
        var figures = Heroin(1);
        figures.Seizures[0].ProductionCountry = "Afghanistan";
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", "2012-05-10", figures)), "figures.seizures[0].production_country");
    }

    [Fact]
    public void A_negative_count_is_invalid() =>
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", "2012-05-10", new OutcomeFigures { PersonsDetained = -1 })), "figures.persons_detained");

    [Fact]
    public void An_absurd_count_is_invalid() =>
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", "2012-05-10", new OutcomeFigures { AmmunitionRounds = 50_000_000 })), "figures.ammunition_rounds");

    [Fact]
    public void An_empty_report_is_invalid() =>
        Then.Invalid(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", "2012-05-10", new OutcomeFigures())), "figures");

    [Fact]
    public void A_report_of_counts_only_is_accepted() =>
        Then.Single<OutcomeReported>(Reporting.Report(Channel(Joined("KAZ")), Members(), Kg, Report("KAZ", "2012-05-10", new OutcomeFigures { WebResourcesBlocked = 955, MigrationChannelsClosed = 3, PersonnelEngaged = 17_000 })));

    static readonly Csto.Operations.Operations.OperationState Reported1 = Channel(Joined("KAZ"), Reported("KAZ", "2012-05-10", Heroin(10)));

    [Fact]
    public void A_correction_supersedes_the_named_report_as_a_new_version()
    {
        var corrected = Then.Single<OutcomeCorrected>(Reporting.Correct(Reported1, Kg, new CorrectOutcome("operations/channel/reports/r1", "KAZ", D("2012-05-20"), "laboratory weight", Heroin(12.5))));
        Assert.Equal(2, corrected.Version);
        Assert.Equal(12.5, corrected.Figures.Seizures[0].KgEquivalent);
    }

    [Fact]
    public void A_correction_of_an_unknown_report_is_refused() =>
        Then.Refused(Reporting.Correct(Reported1, Kg, new CorrectOutcome("operations/channel/reports/nope", "KAZ", D("2012-05-20"), "x", Heroin(1))), "UNKNOWN_REPORT");

    [Fact]
    public void Only_the_reporting_state_corrects_its_report() =>
        Then.Refused(Reporting.Correct(Reported1, Kg, new CorrectOutcome("operations/channel/reports/r1", "RUS", D("2012-05-20"), "x", Heroin(1))), "CORRECTION_BY_OTHER_STATE");

    [Fact]
    public void A_correction_dated_before_the_version_it_supersedes_is_refused() =>
        Then.Refused(Reporting.Correct(Reported1, Kg, new CorrectOutcome("operations/channel/reports/r1", "KAZ", D("2012-05-09"), "x", Heroin(1))), "CORRECTION_BEFORE_REPORT");

    [Fact]
    public void A_correction_says_why() =>
        Then.Invalid(Reporting.Correct(Reported1, Kg, new CorrectOutcome("operations/channel/reports/r1", "KAZ", D("2012-05-20"), " ", Heroin(1))), "reason");

    [Fact]
    public void A_correction_with_invalid_figures_is_invalid() =>
        Then.Invalid(Reporting.Correct(Reported1, Kg, new CorrectOutcome("operations/channel/reports/r1", "KAZ", D("2012-05-20"), "x", Heroin(-1))), "figures.seizures[0].amount");
}
