using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog.Roster;
using Csto.Membership.V1;
using Csto.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Csto.IntegrationTests;

/// <summary>
/// Membership, bodies and operations answer the same status for a state on every date, over the real broker: a
/// withdrawal notice records a change dated months ahead, and an act recorded after the notice but dated before it
/// (a freeze, a suspension by decision) must slot in ahead of it everywhere.
/// </summary>
public sealed class OneRosterTests(RabbitMqFixture broker) : IClassFixture<RabbitMqFixture>
{
    static readonly string[] Founders = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"];

    static readonly DateOnly[] Around =
    [
        new(1994, 4, 19), new(1994, 4, 20), new(2025, 1, 9), new(2025, 1, 10), new(2025, 1, 31), new(2025, 2, 1), new(2025, 2, 28),
        new(2025, 3, 1), new(2025, 3, 2), new(2025, 7, 9), new(2025, 7, 10), new(2025, 7, 11), new(2026, 1, 1),
    ];

    static Cause Treaty => new() { TreatyAct = "Collective Security Treaty, Tashkent" };

    [Fact]
    public async Task A_withdrawal_notice_then_a_freeze_and_then_a_suspension_give_the_same_status_in_the_three_services_on_every_date()
    {
        await using var suite = await ThreeServices.StartAsync(broker);
        var membership = new MembershipService.MembershipServiceClient(suite.Membership.Channel);
        var bodies = new BodiesService.BodiesServiceClient(suite.Bodies.Channel);
        foreach (var state in Founders)
        {
            await membership.RecordSignatureAsync(new RecordSignatureRequest { State = state, EffectiveDate = Date.From(new(1992, 5, 15)), Cause = Treaty });
            await membership.RecordEntryIntoForceAsync(new RecordEntryIntoForceRequest { State = state, EffectiveDate = Date.From(new(1994, 4, 20)), Cause = Treaty });
        }

        // KAZ: notice on 2025-01-10 taking effect 2025-07-10, then a freeze on 2025-02-01 (recorded later, dated earlier)
        await membership.NotifyWithdrawalAsync(new NotifyWithdrawalRequest { State = "KAZ", EffectiveDate = Date.From(new(2025, 1, 10)), TakesEffectOn = Date.From(new(2025, 7, 10)), Cause = new Cause { Notice = "KAZ notice" } });
        await membership.FreezeParticipationAsync(new FreezeParticipationRequest { State = "KAZ", EffectiveDate = Date.From(new(2025, 2, 1)), Cause = new Cause { Notice = "KAZ freezes" } });
        // KGZ: notice on 2025-01-10 taking effect 2025-07-10, then suspended by a Council decision of 2025-03-01
        await membership.NotifyWithdrawalAsync(new NotifyWithdrawalRequest { State = "KGZ", EffectiveDate = Date.From(new(2025, 1, 10)), TakesEffectOn = Date.From(new(2025, 7, 10)), Cause = new Cause { Notice = "KGZ notice" } });
        await Eventually.UntilAsync(async () => (await RosterOf(suite.Bodies)).StatusOn("KAZ", new(2025, 2, 1)) == MemberStatus.Frozen, TimeSpan.FromSeconds(60), "the freeze in the bodies roster");
        await bodies.ConveneSessionAsync(new ConveneSessionRequest { Body = "bodies/csc", SessionId = "csc-2025-03-01", Date = Date.From(new(2025, 3, 1)), Place = "Moscow", HostState = "RUS" });
        await bodies.TableDraftAsync(new TableDraftRequest { Session = "sessions/csc-2025-03-01", DraftId = "suspend-kgz", Title = "Suspend KGZ", Payload = new DecisionPayload { SuspendMember = new SuspendMember { State = "KGZ", Grounds = "test" } } });
        foreach (var state in new[] { "ARM", "BLR", "RUS", "TJK" })
        {
            await bodies.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/suspend-kgz", State = state, Position = Position.Support });
        }

        var closed = await bodies.CloseDraftAsync(new CloseDraftRequest { Draft = "drafts/suspend-kgz", Action = CloseAction.Decide });
        Assert.Equal(DraftStatus.Adopted, closed.Draft.Status);
        await Eventually.UntilAsync(async () => await StatusInMembership(membership, "KGZ", new(2025, 3, 2)) == MemberStatus.Suspended, TimeSpan.FromSeconds(60), "the suspension in membership");

        // every service sees every change (the consumers are eventually consistent), then they must agree on every date
        var expected = new Dictionary<(string, DateOnly), MemberStatus>();
        foreach (var state in new[] { "KAZ", "KGZ" })
        {
            foreach (var date in Around)
            {
                expected[(state, date)] = await StatusInMembership(membership, state, date);
            }
        }

        foreach (var host in new[] { suite.Bodies, suite.Operations })
        {
            await Eventually.UntilAsync(async () =>
            {
                var roster = await RosterOf(host);
                return expected.All(e => roster.StatusOn(e.Key.Item1, e.Key.Item2) == e.Value);
            }, TimeSpan.FromSeconds(60), "the roster of bodies and operations equal to membership on every date");
        }

        Assert.Equal(MemberStatus.Member, expected[("KAZ", new(2025, 1, 31))]);
        Assert.Equal(MemberStatus.Frozen, expected[("KAZ", new(2025, 2, 1))]);
        Assert.Equal(MemberStatus.Frozen, expected[("KAZ", new(2025, 7, 9))]);
        Assert.Equal(MemberStatus.Withdrawn, expected[("KAZ", new(2025, 7, 10))]);
        Assert.Equal(MemberStatus.Withdrawn, expected[("KAZ", new(2026, 1, 1))]);
        Assert.Equal(MemberStatus.Member, expected[("KGZ", new(2025, 2, 28))]);
        Assert.Equal(MemberStatus.Suspended, expected[("KGZ", new(2025, 3, 1))]);
        Assert.Equal(MemberStatus.Withdrawn, expected[("KGZ", new(2025, 7, 10))]);
        Assert.Equal(MemberStatus.Withdrawn, expected[("KGZ", new(2026, 1, 1))]);
        foreach (var host in new[] { suite.Bodies, suite.Operations })
        {
            var roster = await RosterOf(host);
            Assert.All(expected, e => Assert.Equal(e.Value, roster.StatusOn(e.Key.Item1, e.Key.Item2)));
        }
    }

    static async Task<MemberStatus> StatusInMembership(MembershipService.MembershipServiceClient membership, string state, DateOnly date) =>
        (await membership.GetMemberStateAsync(new GetMemberStateRequest { State = state, AsOf = Date.From(date) })).MemberState.Status;

    static Task<RosterView> RosterOf(ServiceHost host) => host.Services.GetRequiredService<RosterQueries>().LoadAsync(CancellationToken.None);
}
