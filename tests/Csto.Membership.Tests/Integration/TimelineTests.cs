using Csto.Bodies.V1;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Testing;
using static Csto.Membership.Tests.Integration.MembershipWorld;

namespace Csto.Membership.Tests.Integration;

[Collection("broker")]
public sealed class TimelineTests(RabbitMqFixture broker)
{
    static readonly string[] Founders = ["ARM", "KAZ", "KGZ", "RUS", "TJK", "UZB"];

    [Fact]
    public async Task The_membership_timeline_1992_to_2024_gives_the_right_roster_on_each_date()
    {
        await using var world = await StartAsync(broker);
        var client = world.Client;

        foreach (var state in Founders)
        {
            await client.RecordSignatureAsync(new RecordSignatureRequest { State = state, EffectiveDate = Date("1992-05-15"), Cause = Treaty("Collective Security Treaty, Tashkent") });
        }

        foreach (var (state, date) in new[] { ("AZE", "1993-09-24"), ("GEO", "1993-12-09"), ("BLR", "1993-12-31") })
        {
            await client.RecordAccessionAsync(new RecordAccessionRequest { State = state, EffectiveDate = Date(date), Cause = Treaty("instrument of accession") });
        }

        foreach (var state in Founders.Concat(["AZE", "GEO", "BLR"]))
        {
            await client.RecordEntryIntoForceAsync(new RecordEntryIntoForceRequest { State = state, EffectiveDate = Date("1994-04-20"), Cause = Treaty("ratifications complete") });
        }

        foreach (var state in new[] { "AZE", "GEO", "UZB" })
        {
            await client.RecordTermEndAsync(new RecordTermEndRequest { State = state, EffectiveDate = Date("1999-04-20"), Cause = Treaty("Protocol on extension 1999, not signed") });
        }

        // Uzbekistan returns by a decision, which reaches membership from the bodies service over RabbitMQ
        await world.AdoptAsync("csc-2006-uzb", "2006-06-23", new DecisionPayload { AdmitMember = new AdmitMember { State = "UZB" } });
        await Eventually.UntilAsync(async () => await world.StatusAsync("UZB", "2006-06-23") == MemberStatus.Member, TimeSpan.FromSeconds(60), "UZB admitted by the consumed decision");

        // the same act called directly, naming the decision: already recorded, nothing appended
        var head = world.MembershipLog.HeadPosition;
        var direct = await client.RecordAccessionAsync(new RecordAccessionRequest { State = "UZB", Cause = Decision("csc-2006-uzb"), RequestId = Guid.NewGuid().ToString() });
        Assert.Equal(MemberStatus.Member, direct.MemberState.Status);
        Assert.Equal(2, direct.EventIds.Count);
        Assert.Equal(head, world.MembershipLog.HeadPosition);

        await world.AdoptAsync("csc-2012-12-19-uzb", "2012-12-19", new DecisionPayload { SuspendMember = new SuspendMember { State = "UZB", Grounds = "at the request of Uzbekistan (notice of 2012-06)" } });
        await Eventually.UntilAsync(async () => await world.StatusAsync("UZB", "2012-12-19") == MemberStatus.Suspended, TimeSpan.FromSeconds(60), "UZB suspended by the consumed decision");

        await client.FreezeParticipationAsync(new FreezeParticipationRequest { State = "ARM", EffectiveDate = Date("2024-02-22"), Cause = Notice("statement of the Prime Minister of Armenia, 2024-02-22") });

        await ExpectRosterAsync(client, "1992-05-15", Founders.Order().Select(s => (s, MemberStatus.Signatory)));
        await ExpectRosterAsync(client, "1994-04-20", new[] { "ARM", "AZE", "BLR", "GEO", "KAZ", "KGZ", "RUS", "TJK", "UZB" }.Select(s => (s, MemberStatus.Member)));
        await ExpectRosterAsync(client, "1999-04-21", new[] { "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK" }.Select(s => (s, MemberStatus.Member)));
        await ExpectRosterAsync(client, "2006-06-23", new[] { "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB" }.Select(s => (s, MemberStatus.Member)));
        await ExpectRosterAsync(client, "2012-12-20",
            new[] { "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK" }.Select(s => (s, MemberStatus.Member)).Append(("UZB", MemberStatus.Suspended)));
        await ExpectRosterAsync(client, "2024-03-01",
            new[] { ("ARM", MemberStatus.Frozen) }.Concat(new[] { "BLR", "KAZ", "KGZ", "RUS", "TJK" }.Select(s => (s, MemberStatus.Member))).Append(("UZB", MemberStatus.Suspended)));

        // the dated history of one state, with causes
        var uzb = (await client.GetMemberStateAsync(new GetMemberStateRequest { State = "UZB", AsOf = Date("2024-03-01") })).MemberState;
        Assert.Equal(
            [MemberStatus.Signatory, MemberStatus.Member, MemberStatus.Withdrawn, MemberStatus.Member, MemberStatus.Suspended],
            uzb.Periods.Select(p => p.Status));
        Assert.Equal("decisions/csc-2012-12-19-uzb", uzb.Periods[^1].Cause.Decision);
        Assert.Equal(Date("2012-12-19"), uzb.StatusSince);
        Assert.Equal(["decisions/csc-2006-uzb", "decisions/csc-2012-12-19-uzb"], uzb.ReceivedDecisions);

        // ListMemberStates pages through the same answer
        var page1 = await client.ListMemberStatesAsync(new ListMemberStatesRequest { AsOf = Date("2024-03-01"), PageSize = 4 });
        var page2 = await client.ListMemberStatesAsync(new ListMemberStatesRequest { AsOf = Date("2024-03-01"), PageSize = 4, PageToken = page1.NextPageToken });
        var page3 = await client.ListMemberStatesAsync(new ListMemberStatesRequest { AsOf = Date("2024-03-01"), PageSize = 4, PageToken = page2.NextPageToken });
        Assert.Equal(["ARM", "AZE", "BLR", "GEO", "KAZ", "KGZ", "RUS", "TJK", "UZB"], page1.MemberStates.Concat(page2.MemberStates).Concat(page3.MemberStates).Select(m => m.State));
        Assert.Empty(page3.NextPageToken);
        var withdrawn = await client.ListMemberStatesAsync(new ListMemberStatesRequest { AsOf = Date("2024-03-01"), Statuses = { MemberStatus.Withdrawn } });
        Assert.Equal(["AZE", "GEO"], withdrawn.MemberStates.Select(m => m.State));

        // the roster is a projection of the log: rebuilt from the log it hashes the same and answers the same
        var log = new EventLogService.EventLogServiceClient(world.Membership.Channel);
        var rebuild = Assert.Single((await log.RebuildProjectionsAsync(new RebuildProjectionsRequest { Names = { "member-status" } })).Results);
        Assert.True(rebuild.HashesMatch, $"{rebuild.LiveHash} != {rebuild.RebuiltHash}");
        await ExpectRosterAsync(client, "2012-12-20",
            new[] { "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK" }.Select(s => (s, MemberStatus.Member)).Append(("UZB", MemberStatus.Suspended)));
    }

    static async Task ExpectRosterAsync(MembershipService.MembershipServiceClient client, string asOf, IEnumerable<(string State, MemberStatus Status)> expected)
    {
        var roster = await client.GetRosterAsync(new GetRosterRequest { AsOf = Date(asOf) });
        Assert.Equal(Date(asOf), roster.AsOf);
        Assert.Equal(expected.OrderBy(e => e.State, StringComparer.Ordinal).Select(e => $"{e.State}:{e.Status}"), roster.Entries.Select(e => $"{e.State}:{e.Status}"));
        Assert.All(roster.Entries, e => Assert.Equal(e.Status == MemberStatus.Member, e.HasVoice));
    }
}
