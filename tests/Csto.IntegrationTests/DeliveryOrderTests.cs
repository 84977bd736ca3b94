using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Commands;
using Csto.EventLog.Inbox;
using Csto.EventLog.Projections;
using Csto.EventLog.Roster;
using Csto.EventLog.V1;
using Csto.Membership.Api;
using Csto.Membership.Decisions;
using Csto.Membership.Members;
using Csto.Membership.V1;
using Csto.Operations.Api;
using Csto.Operations.Operations;
using Csto.Testing;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Csto.IntegrationTests;

/// <summary>
/// Order does not matter: for every consumer (membership's decisions, operations' decisions and roster), seeded shuffles
/// with duplications of realistic sequences, delivered to the production handlers through the production command path
/// on a real SQLite log, give the same query answers as in-order delivery. A failing seed is printed; rerun it with it.
/// </summary>
public sealed class DeliveryOrderTests(ITestOutputHelper output)
{
    const int Seeds = 30;
    static readonly string[] Founders = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"];

    [Fact]
    public async Task Membership_decisions_in_any_order_and_repeated_give_the_same_statuses_as_in_order()
    {
        var decisions = new List<EventRecord>
        {
            Decision("admit-srb-2010", new DecisionPayload { AdmitMember = new AdmitMember { State = "SRB" } }, "2010-05-01"),
            Decision("suspend-srb-2013", new DecisionPayload { SuspendMember = new SuspendMember { State = "SRB", Grounds = "g" } }, "2013-03-01"),
            Decision("restore-srb-2015", new DecisionPayload { RestoreMember = new RestoreMember { State = "SRB" } }, "2015-09-15"),
            Decision("suspend-srb-2018", new DecisionPayload { SuspendMember = new SuspendMember { State = "SRB", Grounds = "g" } }, "2018-11-08"),
            Decision("admit-uzb-2006", new DecisionPayload { AdmitMember = new AdmitMember { State = "UZB" } }, "2006-06-23"),
            Decision("suspend-uzb-2012", new DecisionPayload { SuspendMember = new SuspendMember { State = "UZB", Grounds = "request" } }, "2012-12-19"),
            Decision("suspend-kaz-2020", new DecisionPayload { SuspendMember = new SuspendMember { State = "KAZ", Grounds = "g" } }, "2020-02-01"),
            Decision("restore-kaz-2021", new DecisionPayload { RestoreMember = new RestoreMember { State = "KAZ" } }, "2021-03-01"),
            Decision("exclude-kgz-2022", new DecisionPayload { ExcludeMember = new ExcludeMember { State = "KGZ", Grounds = "g" } }, "2022-06-01"),
            Decision("suspend-kgz-2019", new DecisionPayload { SuspendMember = new SuspendMember { State = "KGZ", Grounds = "g" } }, "2019-06-01"),
        };
        await AssertOrderIndependentAsync("membership", decisions, [new DecisionAdoptedHandler()], SeedMembersAsync, MembershipAnswersAsync);
    }

    [Fact]
    public async Task Operations_decisions_and_roster_changes_in_any_order_and_repeated_give_the_same_operations_and_roster()
    {
        var incoming = new List<EventRecord>
        {
            Decision("channel-2008", new DecisionPayload { AuthorizeOperation = new AuthorizeOperation { Name = "Channel", Kind = OperationKind.AntiDrug, StartDate = D("2008-01-01"), EndDate = D("2030-12-31") } }, "2008-01-01"),
            Decision("channel-extend-2029", new DecisionPayload { ExtendOperation = new ExtendOperation { Name = "Channel", NewEndDate = D("2031-12-31") } }, "2029-06-01"),
            Decision("channel-extend-2030", new DecisionPayload { ExtendOperation = new ExtendOperation { Name = "Channel", NewEndDate = D("2032-12-31") } }, "2030-06-01"),
            Decision("channel-conclude-2032", new DecisionPayload { ConcludeOperation = new ConcludeOperation { Name = "Channel", EndDate = D("2032-06-30") } }, "2032-01-10"),
            Decision("frontier-2010", new DecisionPayload { AuthorizeOperation = new AuthorizeOperation { Name = "Frontier", Kind = OperationKind.Exercise, StartDate = D("2010-01-01"), Permanent = true } }, "2010-01-01"),
            Decision("frontier-conclude-2020", new DecisionPayload { ConcludeOperation = new ConcludeOperation { Name = "Frontier", EndDate = D("2020-12-31") } }, "2020-12-01"),
            Decision("illegal-2012", new DecisionPayload { AuthorizeOperation = new AuthorizeOperation { Name = "Illegal", Kind = OperationKind.IllegalMigration, StartDate = D("2012-01-01"), EndDate = D("2015-12-31") } }, "2012-01-01"),
            Decision("illegal-extend-2014", new DecisionPayload { ExtendOperation = new ExtendOperation { Name = "Illegal", NewEndDate = D("2016-12-31") } }, "2014-06-01"),
        };
        var version = new Dictionary<string, long>();
        foreach (var (state, status, day) in new[]
                 {
                     ("UZB", MemberStatus.Member, "1994-04-20"), ("UZB", MemberStatus.Withdrawn, "1999-04-20"), ("UZB", MemberStatus.Member, "2006-06-23"), ("UZB", MemberStatus.Suspended, "2012-12-19"),
                     ("ARM", MemberStatus.Member, "1994-04-20"), ("ARM", MemberStatus.Frozen, "2024-02-22"),
                     ("KAZ", MemberStatus.Member, "1994-04-20"), ("KAZ", MemberStatus.Withdrawn, "2025-07-10"), ("KAZ", MemberStatus.Frozen, "2025-02-01"),
                 })
        {
            version[state] = version.GetValueOrDefault(state) + 1;
            incoming.Add(Record("membership", "member-" + state, version[state], new MemberStatusChanged { State = state, NewStatus = status, EffectiveDate = D(day), StreamVersion = version[state] }));
        }

        await AssertOrderIndependentAsync("operations", incoming, [new DecisionHandler(NullLogger<DecisionHandler>.Instance), null], (_, _) => Task.CompletedTask, OperationsAnswersAsync);
    }

    [Fact]
    public async Task Bodies_operation_summaries_in_any_order_and_repeated_attach_the_same_latest_totals_to_the_decision()
    {
        var summaries = new List<EventRecord>();
        foreach (var (stage, version, kg) in new[] { ("", 5L, 100.0), ("operations/channel/stages/a", 7L, 10.0), ("", 9L, 250.0), ("operations/channel/stages/a", 10L, 12.5), ("operations/channel/stages/b", 11L, 3.0), ("", 12L, 400.0) })
        {
            summaries.Add(Record("operations", "operation-channel", version, new Csto.Operations.V1.OperationSummaryPublished
            {
                Operation = "operations/channel", DisplayName = "Channel", Decision = "decisions/channel-2008", Stage = stage,
                Totals = new Csto.Operations.V1.OperationTotals { Operation = "operations/channel", AsOf = D("2010-01-01"), Total = new Csto.Operations.V1.Totals { DrugsKg = kg, Reports = (int)version } },
            }));
        }

        await AssertOrderIndependentAsync("bodies", summaries, [new Csto.Bodies.Operations.OperationSummaryHandler()], SeedChannelDecisionAsync, async store =>
        {
            var draft = Csto.Bodies.Drafts.DraftState.Of(await store.ReadStreamAsync("decision-channel-2008"))!;
            return string.Join("\n", Csto.Bodies.Api.Views.ToDecision(draft)!.AuthorizedOperations.Select(o => JsonFormatter.Default.Format(o)));
        });
    }

    /// <summary>The decision that authorized Channel, as the bodies log holds it.</summary>
    static async Task SeedChannelDecisionAsync(IEventStore store, CommandPath commands)
    {
        var payload = new DecisionPayload { AuthorizeOperation = new AuthorizeOperation { Name = "Channel", Kind = OperationKind.AntiDrug, StartDate = D("2008-01-01"), Permanent = true } };
        var metadata = new EventMetadata { CorrelationId = "seed", Actor = new Actor { Subject = "test", Role = "system" } };
        await store.AppendAsync(new AppendRequest("decision-channel-2008", ExpectedVersion.NoStream,
        [
            NewEvent.From(new DraftTabled { Draft = "drafts/channel-2008", Session = "sessions/s", BodyId = "csc", SessionDate = D("2008-01-01"), Title = "Channel", Payload = payload }, metadata),
            NewEvent.From(new DecisionAdopted { Decision = "decisions/channel-2008", Draft = "drafts/channel-2008", BodyId = "csc", EffectiveDate = D("2008-01-01"), SessionDate = D("2008-01-01"), Payload = payload, Rule = DecisionRule.Consensus }, metadata),
        ]));
    }

    async Task AssertOrderIndependentAsync(
        string service, IReadOnlyList<EventRecord> inOrder, IEventHandler?[] handlers, Func<IEventStore, CommandPath, Task> seed, Func<IEventStore, Task<string>> answers)
    {
        var expected = await DeliverAsync(service, inOrder, handlers, seed, answers);
        output.WriteLine($"in order: {expected.Length} characters of answers");
        for (var s = 1; s <= Seeds; s++)
        {
            var random = new Random(s);
            var shuffled = inOrder.OrderBy(_ => random.Next()).ToList();
            foreach (var again in inOrder.Where(_ => random.NextDouble() < 0.3).ToList())
            {
                shuffled.Insert(random.Next(shuffled.Count + 1), again); // a duplicate delivery, anywhere
            }

            var actual = await DeliverAsync(service, shuffled, handlers, seed, answers);
            Assert.True(expected == actual, $"seed {s} ({string.Join(", ", shuffled.Select(r => r.StreamId + "@" + r.StreamVersion))}) gave other answers:\nexpected {expected}\nactual   {actual}");
        }
    }

    static async Task<string> DeliverAsync(string service, IEnumerable<EventRecord> deliveries, IEventHandler?[] handlers, Func<IEventStore, CommandPath, Task> seed, Func<IEventStore, Task<string>> answers)
    {
        using var dir = new TempDir();
        await using var store = new SqliteEventStore(Path.Combine(dir.Path, service + ".db"), service);
        var commands = new CommandPath(store, new HttpContextAccessor());
        var inbox = new EventInbox(store, commands, handlers.Select(h => h ?? new RosterHandler(store)));
        await seed(store, commands);
        foreach (var record in deliveries)
        {
            await inbox.DeliverAsync(record, CancellationToken.None);
        }

        return await answers(store);
    }

    /// <summary>The founders, signed in 1992 and in force from 1994; SRB never a party; UZB out since 1999.</summary>
    static async Task SeedMembersAsync(IEventStore store, CommandPath commands)
    {
        var metadata = new EventMetadata { CorrelationId = "seed", Actor = new Actor { Subject = "test", Role = "system" } };
        foreach (var state in Founders.Append("UZB"))
        {
            foreach (var (act, day) in new[] { (MemberAct.Signature, "1992-05-15"), (MemberAct.EntryIntoForce, "1994-04-20") }.Concat(state == "UZB" ? [(MemberAct.TermEnd, "1999-04-20")] : []))
            {
                var command = new MemberCommand(state, act, DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture), new Cause { TreatyAct = "Collective Security Treaty" });
                await commands.ExecuteSystemAsync(
                    new Command<LoadedMember>(Parties.StreamId(state), MemberLog.Fold(state), m => MemberDecider.Decide(m.State, command)), $"seed|{state}|{act}", metadata, CancellationToken.None);
            }
        }
    }

    static async Task<string> MembershipAnswersAsync(IEventStore store)
    {
        var log = new MemberLog(store);
        var lines = new List<string>();
        foreach (var state in Founders.Concat(["UZB", "SRB"]))
        {
            var view = MemberStates.Build(await log.LoadAsync(state, CancellationToken.None), new DateOnly(2030, 1, 1));
            lines.Add($"{state}: {view.Status} periods [{string.Join("; ", view.Periods.Select(p => $"{p.Status} {p.FromDate?.ToIso()}..{p.ToDate?.ToIso()} {p.Cause}"))}] " +
                      $"acts [{string.Join("; ", view.Acts.Select(a => $"{a.Type} {a.EffectiveDate?.ToIso()} {a.Cause}").Order(StringComparer.Ordinal))}] received [{string.Join(",", view.ReceivedDecisions)}]");
        }

        return string.Join("\n", lines);
    }

    static async Task<string> OperationsAnswersAsync(IEventStore store)
    {
        var roster = new RosterView(EventTypes.ParseAll((await store.ReadAllAsync(1, long.MaxValue, new ReadFilter(RosterComponent.StreamPrefix), 100_000)).Records)
            .Select(RosterComponent.EntryOf).OfType<RosterEntry>());
        var lines = new List<string>();
        foreach (var id in new[] { "channel", "frontier", "illegal" })
        {
            var op = OperationEvents.Fold(await store.ReadStreamAsync("operation-" + id));
            lines.Add(op is null ? id + ": none" : JsonFormatter.Default.Format(Mapping.ToApi(op, new DateOnly(2026, 1, 1), withReports: false, roster)));
        }

        foreach (var day in new[] { "1999-04-20", "2006-06-23", "2013-01-01", "2024-03-01", "2025-03-01", "2025-08-01" })
        {
            lines.Add(day + " " + string.Join(",", roster.On(DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture)).Select(kv => $"{kv.Key}={kv.Value}")));
        }

        return string.Join("\n", lines);
    }

    static long _position;

    static EventRecord Decision(string id, DecisionPayload payload, string day) =>
        Record("bodies", "decision-" + id, 3, new DecisionAdopted
        {
            Decision = "decisions/" + id, Draft = "drafts/" + id, BodyId = "csc", EffectiveDate = D(day), SessionDate = D(day), Payload = payload, Rule = DecisionRule.Consensus,
        });

    static EventRecord Record(string source, string stream, long version, IMessage message) => new()
    {
        SourceService = source,
        StreamId = stream,
        StreamVersion = version,
        Position = Interlocked.Increment(ref _position),
        EventId = EventIds.FromName(source, stream, (int)version),
        Type = message.Descriptor.FullName,
        Data = message.ToByteString(),
        Metadata = new EventMetadata { CorrelationId = "c" },
    };

    static Date D(string iso) => Date.From(DateOnly.Parse(iso, System.Globalization.CultureInfo.InvariantCulture));
}
