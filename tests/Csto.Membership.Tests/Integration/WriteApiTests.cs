using Csto.Membership.V1;
using Csto.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static Csto.Membership.Tests.Integration.MembershipWorld;

namespace Csto.Membership.Tests.Integration;

[Collection("broker")]
public sealed class WriteApiTests(RabbitMqFixture broker)
{
    [Fact]
    public async Task Bad_input_is_answered_with_the_field_or_the_rule_and_nothing_is_appended()
    {
        await using var world = await StartAsync(broker);
        var client = world.Client;
        await client.RecordSignatureAsync(new RecordSignatureRequest { State = "KAZ", EffectiveDate = Date("1992-05-15"), Cause = Treaty("CST") });
        await client.RecordEntryIntoForceAsync(new RecordEntryIntoForceRequest { State = "KAZ", EffectiveDate = Date("1994-04-20"), Cause = Treaty("r") });
        await client.FreezeParticipationAsync(new FreezeParticipationRequest { State = "KAZ", EffectiveDate = Date("2020-01-01"), Cause = Notice("n") });
        var head = world.MembershipLog.HeadPosition;

        await ExpectErrorAsync(() => client.RecordSignatureAsync(new RecordSignatureRequest { State = "KAS", EffectiveDate = Date("1992-05-15"), Cause = Treaty("CST") }).ResponseAsync, StatusCode.InvalidArgument, "state");
        await ExpectErrorAsync(() => client.RecordSignatureAsync(new RecordSignatureRequest { State = "kaz", EffectiveDate = Date("1992-05-15"), Cause = Treaty("CST") }).ResponseAsync, StatusCode.InvalidArgument, "state");
        await ExpectErrorAsync(() => client.RecordSignatureAsync(new RecordSignatureRequest { State = "ARM", Cause = Treaty("CST") }).ResponseAsync, StatusCode.InvalidArgument, "effective_date");
        await ExpectErrorAsync(() => client.RecordSignatureAsync(new RecordSignatureRequest { State = "ARM", EffectiveDate = new Csto.Common.V1.Date { Year = 1993, Month = 2, Day = 30 }, Cause = Treaty("CST") }).ResponseAsync, StatusCode.InvalidArgument, "effective_date");
        await ExpectErrorAsync(() => client.RecordSignatureAsync(new RecordSignatureRequest { State = "ARM", EffectiveDate = Date("1991-12-31"), Cause = Treaty("CST") }).ResponseAsync, StatusCode.InvalidArgument, "effective_date");
        await ExpectErrorAsync(() => client.RecordSignatureAsync(new RecordSignatureRequest { State = "ARM", EffectiveDate = Date("1992-05-15") }).ResponseAsync, StatusCode.InvalidArgument, "cause");
        await ExpectErrorAsync(() => client.FreezeParticipationAsync(new FreezeParticipationRequest { State = "KAZ", EffectiveDate = Date("2020-02-01"), Cause = Notice("again") }).ResponseAsync, StatusCode.FailedPrecondition, "ALREADY_FROZEN");
        await ExpectErrorAsync(() => client.UnfreezeParticipationAsync(new UnfreezeParticipationRequest { State = "KAZ", EffectiveDate = Date("2019-12-31"), Cause = Notice("early") }).ResponseAsync, StatusCode.FailedPrecondition, "ACTS_OUT_OF_ORDER");
        await ExpectErrorAsync(() => client.NotifyWithdrawalAsync(new NotifyWithdrawalRequest { State = "KAZ", EffectiveDate = Date("2021-01-01"), TakesEffectOn = Date("2021-06-30"), Cause = Notice("note") }).ResponseAsync, StatusCode.FailedPrecondition, "WITHDRAWAL_NOTICE_TOO_SHORT");
        await ExpectErrorAsync(() => client.SuspendParticipationAsync(new SuspendParticipationRequest { State = "KAZ", EffectiveDate = Date("2021-01-01"), Cause = Decision("never-adopted") }).ResponseAsync, StatusCode.FailedPrecondition, "DECISION_NOT_SEEN");
        await ExpectErrorAsync(() => client.SuspendParticipationAsync(new SuspendParticipationRequest { State = "KAZ", EffectiveDate = Date("2021-01-01"), Cause = Notice("n") }).ResponseAsync, StatusCode.FailedPrecondition, "DECISION_REQUIRED");
        await ExpectErrorAsync(() => client.GrantObserverStatusAsync(new GrantObserverStatusRequest { State = "KAZ", EffectiveDate = Date("2021-01-01"), Cause = Notice("n") }).ResponseAsync, StatusCode.FailedPrecondition, "ALREADY_A_MEMBER");
        await ExpectErrorAsync(() => client.GetMemberStateAsync(new GetMemberStateRequest { State = "SRB" }).ResponseAsync, StatusCode.NotFound, "NOT_FOUND");
        await ExpectErrorAsync(() => client.ListMemberStatesAsync(new ListMemberStatesRequest { PageToken = "bogus" }).ResponseAsync, StatusCode.InvalidArgument, "page_token");

        Assert.Equal(head, world.MembershipLog.HeadPosition);
    }

    [Fact]
    public async Task A_retried_request_id_records_once_and_answers_as_the_first_call()
    {
        await using var world = await StartAsync(broker);
        var client = world.Client;
        var request = new RecordSignatureRequest { State = "TJK", EffectiveDate = Date("1992-05-15"), Cause = Treaty("CST"), RequestId = Guid.NewGuid().ToString() };
        var first = await client.RecordSignatureAsync(request);
        var head = world.MembershipLog.HeadPosition;
        await client.RecordEntryIntoForceAsync(new RecordEntryIntoForceRequest { State = "TJK", EffectiveDate = Date("1994-04-20"), Cause = Treaty("r"), RequestId = Guid.NewGuid().ToString() });
        var headAfterSecondAct = world.MembershipLog.HeadPosition;

        var retry = await client.RecordSignatureAsync(request);

        Assert.Equal(headAfterSecondAct, world.MembershipLog.HeadPosition);
        Assert.Equal(head + 2, headAfterSecondAct);
        Assert.Equal(first.EventIds, retry.EventIds);
        Assert.Equal(2, first.EventIds.Count);
        Assert.Equal(MemberStatus.Signatory, retry.MemberState.Status);

        await ExpectErrorAsync(() => client.RecordSignatureAsync(new RecordSignatureRequest { State = "KGZ", EffectiveDate = Date("1992-05-15"), Cause = Treaty("CST"), RequestId = request.RequestId }).ResponseAsync,
            StatusCode.InvalidArgument, "request_id");
    }

    [Fact]
    public async Task A_notified_withdrawal_shows_as_pending_until_it_takes_effect_and_observers_are_listed_on_request()
    {
        await using var world = await StartAsync(broker);
        var client = world.Client;
        await client.RecordSignatureAsync(new RecordSignatureRequest { State = "KGZ", EffectiveDate = Date("1992-05-15"), Cause = Treaty("CST") });
        await client.RecordEntryIntoForceAsync(new RecordEntryIntoForceRequest { State = "KGZ", EffectiveDate = Date("1994-04-20"), Cause = Treaty("r") });
        var notice = await client.NotifyWithdrawalAsync(new NotifyWithdrawalRequest { State = "KGZ", EffectiveDate = Date("2030-01-10"), TakesEffectOn = Date("2030-07-10"), Cause = Notice("note verbale 2030-01-10") });
        Assert.Equal(MemberStatus.Member, notice.MemberState.Status);
        Assert.Equal(Date("2030-07-10"), notice.MemberState.PendingWithdrawalTakesEffectOn);
        await client.GrantObserverStatusAsync(new GrantObserverStatusRequest { State = "un", EffectiveDate = Date("2004-12-02"), Cause = Notice("UNGA resolution 59/50") });

        Assert.Equal(MemberStatus.Member, await world.StatusAsync("KGZ", "2030-07-09"));
        Assert.Equal(MemberStatus.Withdrawn, await world.StatusAsync("KGZ", "2030-07-10"));
        Assert.Equal(["KGZ"], (await client.GetRosterAsync(new GetRosterRequest { AsOf = Date("2030-07-09") })).Entries.Select(e => e.State));
        Assert.Empty((await client.GetRosterAsync(new GetRosterRequest { AsOf = Date("2030-07-10") })).Entries);
        var withObservers = await client.GetRosterAsync(new GetRosterRequest { AsOf = Date("2030-07-10"), IncludeObserversAndPartners = true });
        var un = Assert.Single(withObservers.Entries);
        Assert.Equal(PartyKind.Organization, un.Kind);
        Assert.Equal(MemberStatus.Observer, un.Status);
        Assert.False(un.HasVoice);
    }

    [Fact]
    public async Task Each_write_is_in_the_next_roster_read_although_a_write_does_not_wait_for_the_projections()
    {
        await using var world = await StartAsync(broker);
        var client = world.Client;
        var day = new DateOnly(2031, 1, 1);
        for (var round = 0; round < 30; round++)
        {
            var date = Date(day.AddDays(round).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            var granted = round % 2 == 0;
            if (granted)
            {
                await client.GrantObserverStatusAsync(new GrantObserverStatusRequest { State = "SRB", EffectiveDate = date, Cause = Notice("r" + round) });
            }
            else
            {
                await client.EndObserverStatusAsync(new EndObserverStatusRequest { State = "SRB", EffectiveDate = date, Cause = Notice("r" + round) });
            }

            // no waiting between the write and the read: the query waits for the projection to reach the log's head
            var roster = await client.GetRosterAsync(new GetRosterRequest { AsOf = date, IncludeObserversAndPartners = true });
            Assert.Equal(granted ? ["SRB"] : [], roster.Entries.Where(e => e.Status == MemberStatus.Observer).Select(e => e.State));
            // and the day before still answers with the status of that day, from the same rows
            var before = await client.GetRosterAsync(new GetRosterRequest { AsOf = Date(day.AddDays(round - 1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)), IncludeObserversAndPartners = true });
            Assert.Equal(round > 0 && !granted ? ["SRB"] : [], before.Entries.Where(e => e.Status == MemberStatus.Observer).Select(e => e.State));
        }
    }

    [Fact]
    public async Task A_party_with_a_long_history_is_answered_after_each_write_as_a_fresh_read_of_its_stream()
    {
        // past 16 events the command path continues the party's last folded state instead of folding its whole stream
        await using var world = await StartAsync(broker);
        var client = world.Client;
        var day = new DateOnly(2031, 1, 1);
        var folds = world.Membership.Services.GetRequiredService<Csto.EventLog.Commands.CommandPath>().Folded;
        GrantObserverStatusRequest? retried = null;
        MemberState? retriedAnswer = null;
        for (var round = 0; round < 40; round++)
        {
            var date = Date(day.AddDays(round).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            MemberState answer;
            if (round % 2 == 0)
            {
                var request = new GrantObserverStatusRequest { State = "SRB", EffectiveDate = date, Cause = Notice("r" + round), RequestId = "grant-" + round };
                answer = (await client.GrantObserverStatusAsync(request)).MemberState;
                (retried, retriedAnswer) = round == 20 ? (request, answer) : (retried, retriedAnswer);
            }
            else
            {
                answer = (await client.EndObserverStatusAsync(new EndObserverStatusRequest { State = "SRB", EffectiveDate = date, Cause = Notice("r" + round) })).MemberState;
            }

            var read = (await client.GetMemberStateAsync(new GetMemberStateRequest { State = "SRB", AsOf = date })).MemberState;
            Assert.Equal(read, answer);
            Assert.Equal(round + 1, answer.Periods.Count);
            Assert.Equal(2L * (round + 1), answer.Version);
        }

        // a retry of an earlier write answers with the state after all 40 writes (the stream as it is), as before
        var again = (await client.GrantObserverStatusAsync(retried!)).MemberState;
        Assert.Equal((await client.GetMemberStateAsync(new GetMemberStateRequest { State = "SRB", AsOf = retried!.EffectiveDate })).MemberState, again);
        Assert.Equal(retriedAnswer!.Periods[0], again.Periods[0]);
        Assert.True(folds.Continued >= 30, $"continued {folds.Continued}, whole {folds.Whole}");
    }

    [Fact]
    public async Task The_basic_view_answers_a_write_with_the_status_without_the_history_and_an_unknown_view_is_refused_naming_the_field()
    {
        await using var world = await StartAsync(broker);
        var client = world.Client;
        for (var round = 0; round < 6; round++)
        {
            var date = Date(new DateOnly(2031, 1, 1).AddDays(round).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            await client.GrantObserverStatusAsync(new GrantObserverStatusRequest { State = "SRB", EffectiveDate = date, Cause = Notice("g" + round) });
            await client.EndObserverStatusAsync(new EndObserverStatusRequest { State = "SRB", EffectiveDate = date, Cause = Notice("e" + round) });
        }

        var basic = (await client.GrantObserverStatusAsync(new GrantObserverStatusRequest
        {
            State = "SRB", EffectiveDate = Date("2031-02-01"), Cause = Notice("basic"), View = MemberStateView.Basic,
        })).MemberState;
        var full = (await client.GetMemberStateAsync(new GetMemberStateRequest { State = "SRB", AsOf = Date("2031-02-01"), View = MemberStateView.Full })).MemberState;
        var unset = (await client.GetMemberStateAsync(new GetMemberStateRequest { State = "SRB", AsOf = Date("2031-02-01") })).MemberState;
        var basicRead = (await client.GetMemberStateAsync(new GetMemberStateRequest { State = "SRB", AsOf = Date("2031-02-01"), View = MemberStateView.Basic })).MemberState;

        Assert.Empty(basic.Periods);
        Assert.Empty(basic.Acts);
        Assert.Equal(MemberStatus.Observer, basic.Status);
        Assert.Equal(Date("2031-02-01"), basic.StatusSince);
        Assert.Equal(26, basic.Version);
        Assert.Equal(full, unset); // unset is FULL
        Assert.Equal(13, full.Periods.Count);
        Assert.Equal(13, full.Acts.Count);
        // BASIC is FULL without the two histories
        var trimmed = full.Clone();
        trimmed.Periods.Clear();
        trimmed.Acts.Clear();
        Assert.Equal(trimmed, basic);
        Assert.Equal(trimmed, basicRead);

        var head = world.MembershipLog.HeadPosition;
        await ExpectErrorAsync(() => client.EndObserverStatusAsync(new EndObserverStatusRequest
        {
            State = "SRB", EffectiveDate = Date("2031-03-01"), Cause = Notice("n"), View = (MemberStateView)7,
        }).ResponseAsync, StatusCode.InvalidArgument, "view");
        await ExpectErrorAsync(() => client.GetMemberStateAsync(new GetMemberStateRequest { State = "SRB", View = (MemberStateView)7 }).ResponseAsync, StatusCode.InvalidArgument, "view");
        Assert.Equal(head, world.MembershipLog.HeadPosition);
    }
}
