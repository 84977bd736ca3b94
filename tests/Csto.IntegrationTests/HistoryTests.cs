using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Operations.V1;
using Csto.Testing;

namespace Csto.IntegrationTests;

[Collection("suite")]
public sealed class HistoryTests(SuiteFixture suite)
{
    static Date D(int y, int m, int d) => new() { Year = y, Month = m, Day = d };

    async Task<(string[] Voice, string[] Listed)> RosterAsync(Date date)
    {
        var roster = await new MembershipService.MembershipServiceClient(suite.Membership.Channel).GetRosterAsync(new GetRosterRequest { AsOf = date });
        return ([.. roster.Entries.Where(e => e.HasVoice).Select(e => e.State).Order()], [.. roster.Entries.Select(e => e.State).Order()]);
    }

    [Fact]
    public async Task The_members_on_the_key_dates_of_the_history_are_those_of_the_sources()
    {
        Assert.Equal(["ARM", "AZE", "BLR", "GEO", "KAZ", "KGZ", "RUS", "TJK", "UZB"], (await RosterAsync(D(1994, 4, 20))).Voice);
        Assert.Equal(["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"], (await RosterAsync(D(1999, 4, 21))).Voice);
        Assert.Equal(["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"], (await RosterAsync(D(2006, 6, 23))).Voice);
        var in2013 = await RosterAsync(D(2013, 1, 1));
        Assert.Equal(["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"], in2013.Voice);
        Assert.Contains("UZB", in2013.Listed); // suspended: still listed, no voice
        var in2024 = await RosterAsync(D(2024, 3, 1));
        Assert.Equal(["BLR", "KAZ", "KGZ", "RUS", "TJK"], in2024.Voice); // Armenia frozen, Uzbekistan suspended
        Assert.Equal(["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"], in2024.Listed);
    }

    [Fact]
    public async Task The_chair_after_the_2014_and_2015_sessions_is_the_one_handed_over_there()
    {
        var bodies = new BodiesService.BodiesServiceClient(suite.Bodies.Channel);
        var during2014 = await bodies.GetChairAsync(new GetChairRequest { Body = "bodies/csc", AsOf = D(2014, 12, 22) });
        var in2015 = await bodies.GetChairAsync(new GetChairRequest { Body = "bodies/csc", AsOf = D(2015, 3, 1) });
        var after2015 = await bodies.GetChairAsync(new GetChairRequest { Body = "bodies/csc", AsOf = D(2015, 10, 1) });

        Assert.Equal("RUS", during2014.State);
        Assert.Equal(("TJK", ChairBasis.HandoverAtSession, "sessions/csc-2014-12-23-moscow"), (in2015.State, in2015.Basis, in2015.Session));
        Assert.Equal(("ARM", ChairBasis.HandoverAtSession, "sessions/csc-2015-09-15-dushanbe"), (after2015.State, after2015.Basis, after2015.Session));
    }

    [Fact]
    public async Task Uzbekistans_suspension_traces_back_to_the_2012_12_19_decision_its_positions_and_session()
    {
        var (code, output, error) = await suite.CtlAsync("trace", "members/UZB");

        Assert.True(code == 0, error);
        Assert.Contains("ParticipationSuspended effective 2012-12-19", output, StringComparison.Ordinal);
        Assert.Contains("bodies/decision-suspend-uzb-2012", output, StringComparison.Ordinal);
        Assert.Contains("bodies/session-csc-2012-12-19-moscow", output, StringComparison.Ordinal);
        Assert.Contains("state=RUS position=POSITION_SUPPORT", output, StringComparison.Ordinal);
        Assert.DoesNotContain("state=UZB position=", output, StringComparison.Ordinal); // decided without its voice
    }

    [Fact]
    public async Task A_decision_traces_forward_to_what_it_caused_in_the_other_services()
    {
        var (code, output, error) = await suite.CtlAsync("trace", "decisions/suspend-uzb-2012");

        Assert.True(code == 0, error);
        Assert.Contains("bodies/session-csc-2012-12-19-moscow", output, StringComparison.Ordinal);
        Assert.Contains("membership/member-UZB", output, StringComparison.Ordinal);
        Assert.Contains("caused AdoptedDecisionReceived", output, StringComparison.Ordinal);
        // both services keep a stream named roster-UZB: each is shown under its own log
        Assert.Contains("bodies/roster-UZB", output, StringComparison.Ordinal);
        Assert.Contains("operations/roster-UZB", output, StringComparison.Ordinal);
        // the decision's OpenTelemetry trace id, and the same trace on what it caused in membership
        var trace = System.Text.RegularExpressions.Regex.Match(output, @"DecisionAdopted[^\n]*\[trace (?<id>[0-9a-f]{32})\]").Groups["id"].Value;
        Assert.NotEmpty(trace);
        Assert.Matches($@"AdoptedDecisionReceived[^\n]*\[trace {trace}\]", output);
    }

    [Fact]
    public async Task A_reported_outcome_traces_to_its_operation_the_authorizing_decision_and_the_session()
    {
        var records = await new EventLogService.EventLogServiceClient(suite.Operations.Channel)
            .ListEventsAsync(new ListEventsRequest { PageSize = 1000, Filter = new EventFilter { EventTypes = { "csto.operations.v1.OutcomeReported" } } });
        var report = records.Records.First();

        var (code, output, error) = await suite.CtlAsync("trace", report.EventId);

        Assert.True(code == 0, error);
        var operation = output.IndexOf("operations/operation-channel", StringComparison.Ordinal);
        var decision = output.IndexOf("bodies/decision-channel-permanent", StringComparison.Ordinal);
        var session = output.IndexOf("bodies/session-csc-2008-09-05-moscow", StringComparison.Ordinal);
        Assert.True(operation >= 0 && decision > operation && session > decision, output);
        Assert.Contains("DecisionAdopted", output, StringComparison.Ordinal);
        Assert.Contains("PositionRecorded", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_Channel_totals_add_up_to_the_published_figures()
    {
        var totals = (await new OperationsService.OperationsServiceClient(suite.Operations.Channel)
            .GetOperationTotalsAsync(new GetOperationTotalsRequest { Operation = "operations/channel", AsOf = D(2025, 12, 31) })).Totals;
        var before = (await new OperationsService.OperationsServiceClient(suite.Operations.Channel)
            .GetOperationTotalsAsync(new GetOperationTotalsRequest { Operation = "operations/channel", AsOf = D(2025, 5, 22) })).Totals;

        Assert.Equal(1742, totals.Total.DrugsKg, 3);
        Assert.Equal(341, totals.Total.PrecursorsKg, 3);
        Assert.Equal(405, totals.Total.Counts.PersonsDetained);
        Assert.Equal(636, totals.Total.Counts.CrimesDetected);
        Assert.Equal(0, before.Total.DrugsKg);
        var (code, output, _) = await suite.CtlAsync("query", "totals", "--operation", "Channel");
        Assert.Equal(0, code);
        Assert.Contains("1,742 kg of drugs, 341 kg of precursors", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Projections_rebuilt_from_the_logs_agree_with_the_live_ones_on_every_service()
    {
        var (code, output, error) = await suite.CtlAsync("projections", "rebuild", "--service", "all", "--verify");

        Assert.True(code == 0, output + error);
        Assert.Contains("all rebuilt projections agree", output, StringComparison.Ordinal);
        foreach (var service in new[] { "membership", "bodies", "operations" })
        {
            Assert.Contains(service, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Exporting_all_three_logs_twice_gives_byte_identical_files()
    {
        var first = Path.Combine(suite.DataDir, "export-1.jsonl");
        var second = Path.Combine(suite.DataDir, "export-2.jsonl");

        Assert.Equal(0, (await suite.CtlAsync("log", "export", "--service", "all", "--out", first)).Code);
        Assert.Equal(0, (await suite.CtlAsync("log", "export", "--service", "all", "--out", second)).Code);

        var a = await File.ReadAllBytesAsync(first);
        Assert.True(a.Length > 10_000);
        Assert.Equal(a, await File.ReadAllBytesAsync(second));
        var lines = (await File.ReadAllLinesAsync(first)).Length;
        var heads = 0L;
        foreach (var host in new[] { suite.Membership, suite.Bodies, suite.Operations })
        {
            heads += (await new EventLogService.EventLogServiceClient(host.Channel).GetLogInfoAsync(new GetLogInfoRequest())).HeadPosition;
        }

        Assert.Equal(heads, lines);
    }

    [Fact]
    public async Task Loading_the_history_a_second_time_changes_nothing()
    {
        async Task<long[]> HeadsAsync() => await Task.WhenAll(new[] { suite.Membership, suite.Bodies, suite.Operations }
            .Select(async h => (await new EventLogService.EventLogServiceClient(h.Channel).GetLogInfoAsync(new GetLogInfoRequest())).HeadPosition));
        var before = await HeadsAsync();

        var (code, output, error) = await suite.CtlAsync("history", "load", "--no-progress");

        Assert.True(code == 0, output + error);
        Assert.Equal(before, await HeadsAsync());
    }
}
