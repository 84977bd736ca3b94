using Csto.Bodies.V1;
using Csto.EventLog;
using Csto.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Csto.Bodies.Tests.Given;

namespace Csto.Bodies.Tests;

/// <summary>The bodies scenarios through gRPC, with the roster arriving over RabbitMQ from the membership log.</summary>
[Collection("broker")]
public sealed class ScenarioTests(RabbitMqFixture broker)
{
    static readonly string[] OtherFive = ["BLR", "KAZ", "KGZ", "RUS", "TJK"];

    [Fact]
    public async Task Moscow_2012_suspends_Uzbekistan_without_its_voice_and_hands_the_chair_to_Kyrgyzstan()
    {
        await using var suite = await Suite.StartAsync(broker);
        await suite.FeedRosterAsync(D(2012, 12, 18));
        await suite.ConveneAsync("csc-2011-12-20", D(2011, 12, 20), "Moscow", "RUS");
        await suite.Client.TableDraftAsync(new TableDraftRequest { Session = "sessions/csc-2011-12-20", DraftId = "chair-2012", Title = "Chairmanship 2012", Payload = new() { AssignChairmanship = new AssignChairmanship { State = "KAZ" } } });
        await suite.PositionsAsync("chair-2012", Position.Support, [.. Founders, "UZB"]);
        await suite.DecideAsync("chair-2012");

        var session = await suite.ConveneAsync("csc-2012-12-19", D(2012, 12, 19), "Moscow", "RUS");
        Assert.Equal("sessions/csc-2012-12-19", session.Session.Name);
        await suite.TableAsync("csc-2012-12-19", "suspend-uzb", "Suspension of the participation of Uzbekistan", Suspend("UZB"));
        await suite.RefusedAsync(StatusCode.FailedPrecondition, "STATE_CONCERNED_HAS_NO_VOICE",
            () => suite.Client.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/suspend-uzb", State = "UZB", Position = Position.Object }).ResponseAsync);
        await suite.PositionsAsync("suspend-uzb", Position.Support, Founders);

        var closed = await suite.DecideAsync("suspend-uzb", requestId: "close-suspend-uzb");
        var head = suite.Log.HeadPosition;
        var retried = await suite.DecideAsync("suspend-uzb", requestId: "close-suspend-uzb");
        Assert.Equal(head, suite.Log.HeadPosition); // a retry with the same request_id appends nothing
        Assert.Equal(closed.Decision, retried.Decision);

        var decision = (await suite.Client.GetDecisionAsync(new GetDecisionRequest { Name = "decisions/suspend-uzb" })).Decision;
        Assert.Equal(DecisionKind.SuspendMember, decision.Kind);
        Assert.Equal("UZB", decision.Payload.SuspendMember.State);
        Assert.Equal(DecisionRule.Consensus, decision.Rule);
        Assert.Equal(["UZB"], decision.ExcludedStates);
        Assert.Equal(Founders, decision.BoundStates.Select(b => b.State));
        Assert.Equal(6, decision.Counts.Support);
        Assert.Equal(6, decision.Positions.Count);
        Assert.Contains("about UZB", decision.Reason, StringComparison.Ordinal);
        Assert.Equal(D(2012, 12, 19).ToProto(), decision.EffectiveDate);

        await suite.TableAsync("csc-2012-12-19", "chair-2013", "Chairmanship to Kyrgyzstan", new() { AssignChairmanship = new AssignChairmanship { State = "KGZ" } });
        await suite.PositionsAsync("chair-2013", Position.Support, [.. Founders, "UZB"]);
        await suite.DecideAsync("chair-2013");
        Assert.Equal("KAZ", (await suite.Client.GetChairAsync(new GetChairRequest { AsOf = D(2012, 12, 18).ToProto() })).State);
        var chair = await suite.Client.GetChairAsync(new GetChairRequest { AsOf = D(2012, 12, 20).ToProto() });
        Assert.Equal(("KGZ", ChairBasis.CouncilDecision, "decisions/chair-2013"), (chair.State, chair.Basis, chair.Decision));

        // membership acts on the decision; once the roster knows, Uzbekistan has no voice at later sessions
        await suite.FeedAsync(("UZB", Membership.V1.MemberStatus.Suspended, D(2012, 12, 19)));
        await suite.ConveneAsync("cmfa-2013", D(2013, 6, 1), "Minsk", "BLR", regular: false, body: "cmfa");
        await suite.TableAsync("cmfa-2013", "statement-2013", "Statement", Statement);
        await suite.RefusedAsync(StatusCode.FailedPrecondition, "STATE_HAS_NO_VOICE",
            () => suite.Client.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/statement-2013", State = "UZB", Position = Position.Support }).ResponseAsync);
    }

    [Fact]
    public async Task Yerevan_2022_one_objection_returns_2_of_17_drafts()
    {
        await using var suite = await Suite.StartAsync(broker);
        await suite.FeedRosterAsync(D(2022, 11, 23));
        await suite.ConveneAsync("csc-2022-11-23", D(2022, 11, 23), "Yerevan", "ARM");
        for (var i = 1; i <= 17; i++)
        {
            var id = $"yerevan-{i:00}";
            await suite.TableAsync("csc-2022-11-23", id, $"Document {i}", new() { General = new GeneralDecision { Title = $"Document {i}" } });
            await suite.PositionsAsync(id, Position.Support, OtherFive);
            await suite.PositionsAsync(id, i is 16 or 17 ? Position.Object : Position.Support, "ARM");
            await suite.DecideAsync(id);
        }

        var returned = await suite.Client.ListDraftsAsync(new ListDraftsRequest { Session = "sessions/csc-2022-11-23", Status = DraftStatus.Returned });
        Assert.Equal(["drafts/yerevan-16", "drafts/yerevan-17"], returned.Drafts.Select(d => d.Name));
        Assert.All(returned.Drafts, d => Assert.Contains("objected by ARM", d.Reason, StringComparison.Ordinal));
        Assert.All(returned.Drafts, d => Assert.Equal(1, d.Counts.Object));

        var page1 = await suite.Client.ListDecisionsAsync(new ListDecisionsRequest { Body = "bodies/csc", FromDate = D(2022, 11, 23).ToProto(), ToDate = D(2022, 11, 23).ToProto(), PageSize = 10 });
        var page2 = await suite.Client.ListDecisionsAsync(new ListDecisionsRequest { Body = "bodies/csc", FromDate = D(2022, 11, 23).ToProto(), ToDate = D(2022, 11, 23).ToProto(), PageSize = 10, PageToken = page1.NextPageToken });
        Assert.Equal(10, page1.Decisions.Count);
        Assert.Equal(5, page2.Decisions.Count);
        Assert.Equal("", page2.NextPageToken);
        Assert.All(page1.Decisions.Concat(page2.Decisions), d => Assert.Equal(6, d.BoundStates.Count));

        await suite.RefusedAsync(StatusCode.FailedPrecondition, "DRAFT_CLOSED",
            () => suite.Client.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/yerevan-17", State = "KAZ", Position = Position.Object }).ResponseAsync);
        await suite.RefusedAsync(StatusCode.NotFound, "NOT_FOUND", () => suite.Client.GetDecisionAsync(new GetDecisionRequest { Name = "decisions/yerevan-17" }).ResponseAsync);
    }

    [Fact]
    public async Task Astana_2024_decides_in_a_limited_format_with_Armenia_not_participating()
    {
        await using var suite = await Suite.StartAsync(broker);
        await suite.FeedRosterAsync(D(2024, 11, 28));
        await suite.ConveneAsync("csc-2024-11-28", D(2024, 11, 28), "Astana", "KAZ");
        await suite.TableAsync("csc-2024-11-28", "astana-statement", "Statement of the Collective Security Council", Statement);
        await suite.RefusedAsync(StatusCode.FailedPrecondition, "PARTICIPATION_FROZEN",
            () => suite.Client.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/astana-statement", State = "ARM", Position = Position.Object }).ResponseAsync);
        await suite.PositionsAsync("astana-statement", Position.NotParticipating, "ARM");
        await suite.PositionsAsync("astana-statement", Position.Support, OtherFive);

        var decision = (await suite.DecideAsync("astana-statement")).Decision;
        Assert.Equal(DecisionRule.LimitedFormat, decision.Rule);
        Assert.Equal(OtherFive, decision.BoundStates.Select(b => b.State));
        Assert.Equal(["ARM"], decision.MayJoinStates);
        Assert.Equal(new PositionCounts { Support = 5, NotParticipating = 1 }, decision.Counts);
        Assert.Equal(["UZB"], decision.ExcludedStates);

        var boundArmenia = await suite.Client.ListDecisionsAsync(new ListDecisionsRequest { BoundState = "ARM" });
        var boundKazakhstan = await suite.Client.ListDecisionsAsync(new ListDecisionsRequest { BoundState = "KAZ", Kind = DecisionKind.CollectiveStatement });
        Assert.Empty(boundArmenia.Decisions);
        Assert.Single(boundKazakhstan.Decisions);
        // frozen: Armenia cannot join while it takes no part
        await suite.RefusedAsync(StatusCode.FailedPrecondition, "STATE_HAS_NO_VOICE",
            () => suite.Client.JoinDecisionAsync(new JoinDecisionRequest { Decision = "decisions/astana-statement", State = "ARM", JoinedOn = D(2025, 1, 1).ToProto() }).ResponseAsync);
    }

    [Fact]
    public async Task The_chair_after_the_2014_and_2015_sessions()
    {
        await using var suite = await Suite.StartAsync(broker);
        await suite.FeedRosterAsync(D(2015, 12, 31));
        await suite.ConveneAsync("csc-2013-09-23", D(2013, 9, 23), "Sochi", "RUS");
        await suite.ConveneAsync("csc-2014-12-23", D(2014, 12, 23), "Moscow", "RUS");
        await suite.TableAsync("csc-2014-12-23", "chair-2015", "Chairmanship of Tajikistan in 2015", new() { AssignChairmanship = new AssignChairmanship { State = "TJK", FromDate = D(2015, 1, 1).ToProto() } });
        await suite.PositionsAsync("chair-2015", Position.Support, Founders);
        await suite.DecideAsync("chair-2015");

        var during2014 = await suite.Client.GetChairAsync(new GetChairRequest { AsOf = D(2014, 12, 24).ToProto() });
        Assert.Equal(("RUS", ChairBasis.HostOfRegularSession), (during2014.State, during2014.Basis));
        var after2014 = await suite.Client.GetChairAsync(new GetChairRequest { AsOf = D(2015, 1, 1).ToProto() });
        Assert.Equal(("TJK", ChairBasis.CouncilDecision, "decisions/chair-2015"), (after2014.State, after2014.Basis, after2014.Decision));

        await suite.ConveneAsync("csc-2015-09-15", D(2015, 9, 15), "Dushanbe", "TJK");
        var after2015 = await suite.Client.GetChairAsync(new GetChairRequest { AsOf = D(2015, 9, 16).ToProto() });
        Assert.Equal(("TJK", ChairBasis.HostOfRegularSession, "sessions/csc-2015-09-15"), (after2015.State, after2015.Basis, after2015.Session));
        // the statutory bodies follow the Council's chair
        Assert.Equal("TJK", (await suite.Client.GetChairAsync(new GetChairRequest { Body = "bodies/cmfa", AsOf = D(2015, 9, 16).ToProto() })).State);
    }

    [Fact]
    public async Task Bad_input_is_refused_naming_the_field_or_rule_and_appends_nothing()
    {
        await using var suite = await Suite.StartAsync(broker);
        await suite.FeedRosterAsync(D(2022, 12, 31));
        var c = suite.Client;
        await suite.RefusedAsync(StatusCode.NotFound, "NOT_FOUND", () => suite.ConveneAsync("x", D(2022, 1, 1), "Nowhere", "RUS", body: "no-such-body"));
        await suite.RefusedAsync(StatusCode.InvalidArgument, "body", () => c.ConveneSessionAsync(new ConveneSessionRequest { Body = "csc", Date = D(2022, 1, 1).ToProto(), Place = "Moscow", HostState = "RUS" }).ResponseAsync);
        await suite.RefusedAsync(StatusCode.InvalidArgument, "date", () => c.ConveneSessionAsync(new ConveneSessionRequest { Body = "bodies/csc", Date = new() { Year = 2022, Month = 2, Day = 30 }, Place = "Moscow", HostState = "RUS" }).ResponseAsync);
        await suite.RefusedAsync(StatusCode.FailedPrecondition, "SESSION_BEFORE_BODY_FOUNDED", () => suite.ConveneAsync("pa-2005", D(2005, 5, 1), "Moscow", "RUS", body: "parliamentary-assembly"));
        await suite.RefusedAsync(StatusCode.NotFound, "NOT_FOUND", () => suite.TableAsync("no-such-session", "d", "Title", Statement));

        await suite.ConveneAsync("cmfa-2022", D(2022, 6, 1), "Minsk", "BLR", regular: false, body: "cmfa");
        await suite.RefusedAsync(StatusCode.FailedPrecondition, "KIND_NOT_ALLOWED_FOR_BODY", () => suite.TableAsync("cmfa-2022", "sg", "Appointment", new()
        {
            AppointSecretaryGeneral = new AppointSecretaryGeneral { PersonName = "Imangali Tasmagambetov", Citizenship = "KAZ", TermStart = D(2023, 1, 1).ToProto() },
        }));
        await suite.RefusedAsync(StatusCode.AlreadyExists, "ALREADY_EXISTS", () => suite.ConveneAsync("cmfa-2022", D(2022, 6, 1), "Minsk", "BLR", regular: false, body: "cmfa"));

        await suite.ConveneAsync("csc-2022-11-23", D(2022, 11, 23), "Yerevan", "ARM");
        await suite.RefusedAsync(StatusCode.FailedPrecondition, "APPOINTEE_NOT_CITIZEN_OF_MEMBER_WITH_VOICE", () => suite.TableAsync("csc-2022-11-23", "sg-uzb", "Appointment", new()
        {
            AppointSecretaryGeneral = new AppointSecretaryGeneral { PersonName = "Someone", Citizenship = "UZB", TermStart = D(2023, 1, 1).ToProto() },
        }));

        await suite.TableAsync("csc-2022-11-23", "sg-2023", "Appointment of the Secretary General", new()
        {
            AppointSecretaryGeneral = new AppointSecretaryGeneral { PersonName = "Imangali Tasmagambetov", Citizenship = "KAZ", TermStart = D(2023, 1, 1).ToProto() },
        });
        await suite.PositionsAsync("sg-2023", Position.Support, "KAZ");
        await suite.RefusedAsync(StatusCode.FailedPrecondition, "POSITION_ALREADY_RECORDED",
            () => c.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/sg-2023", State = "KAZ", Position = Position.Object }).ResponseAsync);
        await suite.RefusedAsync(StatusCode.InvalidArgument, "state",
            () => c.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/sg-2023", State = "Kazakhstan", Position = Position.Object }).ResponseAsync);
        await suite.RefusedAsync(StatusCode.FailedPrecondition, "STATE_HAS_NO_VOICE",
            () => c.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/sg-2023", State = "AZE", Position = Position.Support }).ResponseAsync);

        // an explicit change, retried with its request_id, is recorded once
        await c.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/sg-2023", State = "ARM", Position = Position.Object });
        var change = new ChangePositionRequest { Draft = "drafts/sg-2023", State = "ARM", Position = Position.Support, RequestId = "arm-changes-its-mind" };
        await c.ChangePositionAsync(change);
        var head = suite.Log.HeadPosition;
        var again = await c.ChangePositionAsync(change);
        Assert.Equal(head, suite.Log.HeadPosition);
        Assert.Contains(again.Draft.Positions, p => p.State == "ARM" && p.Position == Position.Support);

        await suite.PositionsAsync("sg-2023", Position.Support, "BLR", "KGZ", "RUS", "TJK");
        await suite.RefusedAsync(StatusCode.FailedPrecondition, "COUNTS_MISMATCH",
            () => c.CloseDraftAsync(new CloseDraftRequest { Draft = "drafts/sg-2023", Action = CloseAction.Decide, ExpectedCounts = new PositionCounts { Support = 5 } }).ResponseAsync);
        var adopted = await c.CloseDraftAsync(new CloseDraftRequest { Draft = "drafts/sg-2023", Action = CloseAction.Decide, ExpectedCounts = new PositionCounts { Support = 6 } });
        Assert.Equal(DraftStatus.Adopted, adopted.Draft.Status);
        var sg = (await c.GetSecretaryGeneralAsync(new GetSecretaryGeneralRequest { AsOf = D(2024, 6, 1).ToProto() })).Appointment;
        Assert.Equal(("Imangali Tasmagambetov", "KAZ", D(2025, 12, 31).ToProto()), (sg.PersonName, sg.Citizenship, sg.TermEnd));
        await suite.RefusedAsync(StatusCode.FailedPrecondition, "DRAFT_CLOSED",
            () => c.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/sg-2023", State = "UZB", Position = Position.Support }).ResponseAsync);
        await suite.RefusedAsync(StatusCode.InvalidArgument, "page_token", () => c.ListDecisionsAsync(new ListDecisionsRequest { PageToken = "garbage" }).ResponseAsync);
        // hand-made tokens of the right query whose key is not a position: refused naming page_token, never UNKNOWN (the
        // same token with a position is taken, so the refusals below are about the key, not the query)
        await c.ListDecisionsAsync(new ListDecisionsRequest { PageToken = Csto.Kernel.PageTokens.Next("decisions||0||||0|", "1") });
        await c.ListDraftsAsync(new ListDraftsRequest { PageToken = Csto.Kernel.PageTokens.Next("drafts|||0", "1") });
        foreach (var key in new[] { "-5", "abc", "99999999999999999999", "0", " 7" })
        {
            await suite.RefusedAsync(StatusCode.InvalidArgument, "page_token",
                () => c.ListDecisionsAsync(new ListDecisionsRequest { PageToken = Csto.Kernel.PageTokens.Next("decisions||0||||0|", key) }).ResponseAsync);
            await suite.RefusedAsync(StatusCode.InvalidArgument, "page_token",
                () => c.ListDraftsAsync(new ListDraftsRequest { PageToken = Csto.Kernel.PageTokens.Next("drafts|||0", key) }).ResponseAsync);
        }
    }

    [Fact]
    public async Task The_body_tree_is_seeded_once_and_an_idempotent_convene_returns_the_same_session()
    {
        await using var suite = await Suite.StartAsync(broker);
        var bodies = (await suite.Client.ListBodiesAsync(new ListBodiesRequest())).Bodies;
        Assert.Equal(8, bodies.Count); // the Military Committee is not seeded: the 2012-12-19 decision establishes it
        Assert.Equal("bodies/csc", bodies[0].Name);
        Assert.Equal("bodies/cmd", (await suite.Client.GetBodyAsync(new GetBodyRequest { Name = "bodies/joint-staff" })).Body.Parent);
        Assert.DoesNotContain((await suite.Client.ListBodiesAsync(new ListBodiesRequest { AsOf = D(2005, 12, 31).ToProto() })).Bodies, b => b.BodyId == "parliamentary-assembly");

        // seeding again (a restart) appends nothing
        var head = suite.Log.HeadPosition;
        await new Csto.Bodies.Bodies.ReferenceDataSeeder(suite.BodiesHost.Services.GetRequiredService<Csto.EventLog.Commands.CommandPath>()).StartAsync(CancellationToken.None);
        Assert.Equal(head, suite.Log.HeadPosition);

        await suite.FeedRosterAsync(D(2006, 12, 31));
        var request = new ConveneSessionRequest { Body = "bodies/cmd", Date = D(2007, 5, 1).ToProto(), Place = "Yerevan", HostState = "ARM", RequestId = "convene-cmd-2007" };
        var first = await suite.Client.ConveneSessionAsync(request);
        head = suite.Log.HeadPosition;
        var second = await suite.Client.ConveneSessionAsync(request);
        Assert.Equal(first.Session, second.Session);
        Assert.Equal(head, suite.Log.HeadPosition);
        Assert.NotNull(suite.BodiesHost.Services.GetRequiredService<IEventStore>());
    }
}
