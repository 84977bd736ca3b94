using Csto.Testing;
using Csto.Operations.Stages;
using Csto.Operations.V1;
using Xunit;
using static Csto.Operations.Tests.Given;

namespace Csto.Operations.Tests;

public sealed class StageSpecs
{
    [Fact]
    public void A_named_stage_starts_with_its_own_dates()
    {
        var started = Then.Single<StageStarted>(StageRules.Start(Channel(), new StartStage("Channel-Mountain Outpost", D("2025-05-18"), D("2025-05-23"))));
        Assert.Equal(Outpost, started.Stage);
        Assert.Equal(D("2025-05-23"), started.EndDate);
    }

    [Fact]
    public void A_stage_outside_the_operations_dates_is_refused()
    {
        var illegal = Operation(Authorize("Illegal", Common.V1.OperationKind.IllegalMigration, "2006-06-01", "2006-06-30", permanent: false));
        Then.Refused(StageRules.Start(illegal, new StartStage("Late", D("2006-06-25"), D("2006-07-05"))), "STAGE_OUTSIDE_OPERATION");
    }

    [Fact]
    public void A_stage_name_is_used_once() =>
        Then.Refused(StageRules.Start(Channel(MountainOutpost()), new StartStage("Channel Mountain-Outpost", D("2026-05-18"), D("2026-05-23"))), "STAGE_ALREADY_EXISTS");

    [Fact]
    public void A_stage_ending_before_it_starts_is_invalid() =>
        Then.Invalid(StageRules.Start(Channel(), new StartStage("X", D("2025-05-18"), D("2025-05-17"))), "end_date");

    [Fact]
    public void A_stage_without_a_name_is_invalid() =>
        Then.Invalid(StageRules.Start(Channel(), new StartStage("  ", D("2025-05-18"), D("2025-05-19"))), "display_name");

    [Fact]
    public void Closing_a_stage_publishes_its_totals_as_of_its_last_day()
    {
        var channel = Channel(Joined("RUS"), MountainOutpost(),
            Reported("RUS", "2025-05-20", Seizures(Seized(Substance.Heroin, 31)), "a", Outpost),
            Reported("RUS", "2025-05-20", Seizures(Seized(Substance.Opium, 5)), "b"));

        var decided = StageRules.Close(channel, new CloseStage(Outpost));

        Assert.Null(decided.Violation);
        Assert.Equal(Outpost, Assert.IsType<StageClosed>(decided.Events[0]).Stage);
        var summary = Assert.IsType<OperationSummaryPublished>(decided.Events[1]);
        Assert.Equal(Outpost, summary.Stage);
        Assert.Equal("decisions/d-1", summary.Decision);
        Assert.Equal(31, summary.Totals.Total.DrugsKg); // the report outside the stage is not counted
        Assert.Equal(D("2025-05-23"), summary.Totals.AsOf);
    }

    [Fact]
    public void A_closed_stage_does_not_close_again() =>
        Then.Refused(StageRules.Close(Channel(MountainOutpost(), new StageClosed { Operation = "operations/channel", Stage = Outpost, EndDate = D("2025-05-23") }), new CloseStage(Outpost)), "STAGE_ALREADY_CLOSED");

    [Fact]
    public void Closing_an_unknown_stage_is_refused() =>
        Then.Refused(StageRules.Close(Channel(), new CloseStage(Outpost)), "UNKNOWN_STAGE");
}
