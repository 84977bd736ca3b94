using Csto.EventLog;
using Csto.EventLog.Commands;
using Csto.EventLog.Inbox;
using Csto.EventLog.Projections;
using Csto.EventLog.Relay;
using Csto.EventLog.Roster;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>The roster the production component keeps, read back from the log: the status of each state after all changes.</summary>
static class RosterState
{
    public static async Task<Dictionary<string, MemberStatus>> OfAsync(IEventStore store)
    {
        var all = await store.ReadAllAsync(1, long.MaxValue, new ReadFilter(RosterComponent.StreamPrefix), 100_000);
        var view = new RosterView(Kernel.EventTypes.ParseAll(all.Records).Select(RosterComponent.EntryOf).OfType<RosterEntry>());
        return view.States.ToDictionary(s => RosterComponent.StreamPrefix + s, s => view.StatusOn(s, DateOnly.MaxValue));
    }
}

public sealed class InboxTests
{
    static List<EventRecord> Incoming()
    {
        var list = new List<EventRecord>();
        var position = 0;
        foreach (var (state, statuses) in new[] { ("UZB", new[] { MemberStatus.Member, MemberStatus.Withdrawn, MemberStatus.Member, MemberStatus.Suspended }), ("ARM", new[] { MemberStatus.Member, MemberStatus.Frozen }) })
        {
            for (var v = 1; v <= statuses.Length; v++)
            {
                var e = Events.Status(state, statuses[v - 1], v);
                list.Add(new EventRecord { Position = ++position, StreamId = "member-" + state, StreamVersion = v, EventId = e.EventId, Type = e.Type, Data = e.Data, Metadata = e.Metadata, SourceService = "membership" });
            }
        }

        return list;
    }

    static async Task<(Dictionary<string, MemberStatus> State, long Processed)> DeliverAsync(IEnumerable<EventRecord> deliveries)
    {
        using var dir = new TempDir();
        await using var store = new SqliteEventStore(Path.Combine(dir.Path, "bodies.db"), "bodies");
        var commands = new CommandPath(store, new HttpContextAccessor());
        var inbox = new EventInbox(store, commands, [new RosterHandler(store)]);
        foreach (var record in deliveries)
        {
            await inbox.DeliverAsync(record, CancellationToken.None);
        }

        var consumers = await store.GetConsumersAsync();
        return (await RosterState.OfAsync(store), consumers.Single().ProcessedCount);
    }

    [Fact]
    public async Task The_same_event_delivered_twice_and_events_out_of_order_give_the_state_of_one_in_order_delivery()
    {
        var events = Incoming();
        var inOrder = await DeliverAsync(events);
        var twice = await DeliverAsync(events.Concat(events));
        var reversed = await DeliverAsync(Enumerable.Reverse(events));
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var shuffled = await DeliverAsync(events.OrderBy(_ => random.Next()).Concat(events.Take(3)));

        Assert.Equal(MemberStatus.Suspended, inOrder.State["roster-UZB"]);
        Assert.Equal(MemberStatus.Frozen, inOrder.State["roster-ARM"]);
        Assert.Equal(inOrder.State, twice.State);
        Assert.Equal(inOrder.State, reversed.State);
        Assert.True(inOrder.State.OrderBy(kv => kv.Key).SequenceEqual(shuffled.State.OrderBy(kv => kv.Key)), $"seed {seed}: a shuffled delivery gave another roster");
        Assert.All(new[] { inOrder, twice, reversed, shuffled }, r => Assert.Equal(events.Count, r.Processed));
    }
}

[Collection("broker")]
public sealed class InboxOverBrokerTests(RabbitMqFixture broker)
{
    [Fact]
    public async Task Events_republished_over_the_broker_are_applied_once()
    {
        using var dir = new TempDir();
        var url = await broker.NewVirtualHostUrlAsync();
        await using var bodies = await Events.StartLogHostAsync("bodies", url, dir.Path, b => b.Services.AddRoster());
        await using var membership = await Events.StartLogHostAsync("membership", url, dir.Path);
        var source = membership.Services.GetRequiredService<IEventStore>();
        var target = bodies.Services.GetRequiredService<IEventStore>();

        await source.AppendAsync(new AppendRequest("member-UZB", ExpectedVersion.Any, [Events.Status("UZB", MemberStatus.Member, 1), Events.Status("UZB", MemberStatus.Suspended, 2)]));
        await source.AppendAsync(new AppendRequest("member-ARM", ExpectedVersion.Any, [Events.Status("ARM", MemberStatus.Member, 1)]));
        await Eventually.UntilAsync(async () => (await target.GetConsumersAsync()).SingleOrDefault()?.ProcessedCount == 3, TimeSpan.FromSeconds(60), "3 events in the bodies inbox");
        var headBefore = target.HeadPosition;

        var republished = await membership.Services.GetRequiredService<EventRelay>().RepublishAsync(1, 3, CancellationToken.None);
        await source.AppendAsync(new AppendRequest("member-ARM", ExpectedVersion.Any, [Events.Status("ARM", MemberStatus.Frozen, 2)]));
        // 3 first deliveries, 3 republished copies, the 4th event: every one of the 7 delivered before judging
        var inbox = bodies.Services.GetRequiredService<EventInbox>();
        await Eventually.UntilAsync(() => Task.FromResult(inbox.Deliveries == 7), TimeSpan.FromSeconds(60), "7 deliveries to the bodies inbox");
        Assert.Equal(3, inbox.Duplicates);
        Assert.Equal(4, (await target.GetConsumersAsync()).Single().ProcessedCount);

        Assert.Equal(3, republished);
        var state = await RosterState.OfAsync(target);
        Assert.Equal(MemberStatus.Suspended, state["roster-UZB"]);
        Assert.Equal(MemberStatus.Frozen, state["roster-ARM"]);
        Assert.Equal(headBefore + 1, target.HeadPosition);
        var consumer = (await target.GetConsumersAsync()).Single();
        Assert.Equal(4, consumer.SourcePositions["membership"]);
    }

    [Fact]
    public async Task A_long_roster_stream_holds_each_source_version_once_whatever_the_order_and_the_copies()
    {
        // past 16 events the consumer's write continues the roster stream's held state (the source versions it holds)
        var events = new List<EventRecord>();
        for (var v = 1; v <= 40; v++)
        {
            var e = Events.Status("UZB", v % 2 == 1 ? MemberStatus.Member : MemberStatus.Suspended, v);
            events.Add(new EventRecord { Position = v, StreamId = "member-UZB", StreamVersion = v, EventId = e.EventId, Type = e.Type, Data = e.Data, Metadata = e.Metadata, SourceService = "membership" });
        }

        // the same source versions under other event ids (a copy the inbox cannot tell by id): held once by version
        var copies = events.Select(r =>
        {
            var copy = r.Clone();
            copy.EventId = Guid.NewGuid().ToString();
            return copy;
        }).ToList();
        var random = new Random(40);
        using var dir = new TempDir();
        await using var store = new SqliteEventStore(Path.Combine(dir.Path, "bodies.db"), "bodies");
        var commands = new CommandPath(store, new HttpContextAccessor());
        var inbox = new EventInbox(store, commands, [new RosterHandler(store)]);
        foreach (var record in events.Take(30).Concat(copies.OrderBy(_ => random.Next())).Concat(events).Concat(events.Skip(35)))
        {
            await inbox.DeliverAsync(record, CancellationToken.None);
        }

        var roster = await store.ReadStreamAsync("roster-UZB");
        Assert.Equal(Enumerable.Range(1, 40).Select(v => (long)v), roster.Select(r => RosterComponent.EntryOf(Kernel.EventTypes.Parse(r)!)!.SourceVersion).Order());
        Assert.Equal(MemberStatus.Suspended, (await RosterState.OfAsync(store))["roster-UZB"]);
        Assert.Equal(80, (await store.GetConsumersAsync()).Single().ProcessedCount); // 40 ids and 40 copies, each once
        Assert.True(commands.Folded.Continued > 20, $"continued {commands.Folded.Continued}, whole {commands.Folded.Whole}");
    }
}
