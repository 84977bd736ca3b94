using System.Diagnostics;
using System.Security.Claims;
using Csto.Common.V1;
using Csto.EventLog.Commands;
using Csto.EventLog.Projections;
using Csto.EventLog.V1;
using Csto.Security;
using Csto.Testing;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>The one command path on a real SQLite log: retries, conflicts re-decided, refusals, metadata.</summary>
public sealed class CommandPathTests : IAsyncLifetime
{
    readonly TempDir _dir = new();
    SqliteEventStore _store = null!;
    ProjectionRunner _projections = null!;
    CommandPath _commands = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteEventStore(Path.Combine(_dir.Path, "bodies.db"), "bodies");
        _projections = new ProjectionRunner(_store, _store, [new StreamsProjection()], NullLogger<ProjectionRunner>.Instance);
        await _projections.StartAsync(CancellationToken.None);
        var http = new OneCaller
        {
            HttpContext = new DefaultHttpContext
            {
                User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(Claims.Subject, "alice"), new Claim(Claims.Role, Roles.Secretariat)], "test")),
            },
        };
        http.HttpContext.Request.Headers["x-correlation-id"] = "corr-1";
        _commands = new CommandPath(_store, http);
    }

    public async Task DisposeAsync()
    {
        await _projections.StopAsync(CancellationToken.None);
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>A stream of seats: taking one appends a Date (any message will do); at most <paramref name="capacity"/> seats.</summary>
    static Command<int> TakeSeat(string requestId, int capacity = 3, string stream = "seats-1") =>
        new(stream, records => records.Count, taken => taken < capacity
            ? Verdict.Accept(new Date { Year = 2000 + taken, Month = 1, Day = 1 })
            : Verdict.Rule("NO_SEAT_LEFT", $"all {capacity} seats are taken"))
        {
            Scope = "TakeSeat",
            RequestId = requestId,
            EffectiveDate = new DateOnly(2024, 11, 28),
        };

    [Fact]
    public async Task A_retry_with_the_same_request_id_returns_the_original_event_ids_and_appends_nothing()
    {
        var first = await _commands.ExecuteAsync(TakeSeat("r-1"), CancellationToken.None);
        var head = _store.HeadPosition;

        var retry = await _commands.ExecuteAsync(TakeSeat("r-1"), CancellationToken.None);

        Assert.False(first.Retried);
        Assert.True(retry.Retried);
        Assert.Equal(first.EventIds, retry.EventIds);
        Assert.Equal(first.Events, retry.Events);
        Assert.Equal(head, _store.HeadPosition);
        Assert.Equal(1, retry.State);
        var other = await _commands.ExecuteAsync(TakeSeat("r-2"), CancellationToken.None);
        Assert.NotEqual(first.EventIds, other.EventIds);
        Assert.Equal(2, other.State);
    }

    [Fact]
    public async Task Concurrent_conflicting_writes_are_decided_again_and_each_succeeds_on_the_new_state_or_fails_with_the_rule()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                var written = await _commands.ExecuteAsync(TakeSeat("w-" + i), CancellationToken.None);
                return (Ok: true, Reason: "", written.EventIds);
            }
            catch (ViolationException ex)
            {
                return (Ok: false, Reason: ((RuleBroken)ex.Violation).Reason, EventIds: (IReadOnlyList<string>)[]);
            }
        }));

        var records = await _store.ReadStreamAsync("seats-1");
        Assert.Equal(3, results.Count(r => r.Ok));
        Assert.All(results.Where(r => !r.Ok), r => Assert.Equal("NO_SEAT_LEFT", r.Reason));
        // nothing lost and nothing twice: exactly the winners' events are in the stream, in versions 1..3
        Assert.Equal(results.Where(r => r.Ok).SelectMany(r => r.EventIds).Order(), records.Select(r => r.EventId).Order());
        Assert.Equal([1L, 2, 3], records.Select(r => r.StreamVersion));
        // each decided on the state it saw: the seats are numbered 2000, 2001, 2002 in version order
        Assert.Equal([2000, 2001, 2002], records.Select(r => Date.Parser.ParseFrom(r.Data).Year));
    }

    [Fact]
    public async Task A_refusal_appends_nothing_and_names_the_rule()
    {
        for (var i = 0; i < 3; i++)
        {
            await _commands.ExecuteAsync(TakeSeat("fill-" + i), CancellationToken.None);
        }

        var head = _store.HeadPosition;
        var refused = await Assert.ThrowsAsync<ViolationException>(() => _commands.ExecuteAsync(TakeSeat("late"), CancellationToken.None));
        Assert.Equal("NO_SEAT_LEFT", Assert.IsType<RuleBroken>(refused.Violation).Reason);
        Assert.Equal(head, _store.HeadPosition);
    }

    [Fact]
    public async Task A_request_id_reused_for_another_entity_is_refused_and_too_long_a_request_id_is_invalid()
    {
        await _commands.ExecuteAsync(TakeSeat("same", stream: "seats-a"), CancellationToken.None);
        var head = _store.HeadPosition;
        var reused = await Assert.ThrowsAsync<InvalidFieldException>(() => _commands.ExecuteAsync(TakeSeat("same", stream: "seats-b"), CancellationToken.None));
        Assert.Equal("request_id", reused.Violation.Field);
        Assert.Equal(head, _store.HeadPosition);
        var tooLong = await Assert.ThrowsAsync<InvalidFieldException>(() => _commands.ExecuteAsync(TakeSeat(new string('x', 129)), CancellationToken.None));
        Assert.Equal("request_id", tooLong.Violation.Field);
    }

    [Fact]
    public async Task Every_event_of_an_api_write_carries_correlation_causation_actor_effective_time_and_the_current_trace()
    {
        using var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();
        var written = await _commands.ExecuteAsync(TakeSeat("meta-1"), CancellationToken.None);

        var metadata = Assert.Single(written.Records).Metadata;
        Assert.Equal("corr-1", metadata.CorrelationId);
        Assert.Equal("request:meta-1", metadata.CausationId);
        Assert.Equal(new Actor { Subject = "alice", Role = Roles.Secretariat }, metadata.Actor);
        Assert.Equal(new DateOnly(2024, 11, 28).ToEffectiveTime(), metadata.EffectiveTime);
        Assert.Equal(activity.Id, metadata.Traceparent);
    }

    [Fact]
    public async Task A_consumed_event_is_applied_once_through_the_same_path_and_its_effect_is_caused_by_it()
    {
        var incoming = new EventRecord
        {
            Position = 7, StreamId = "member-KAZ", StreamVersion = 1, EventId = Guid.NewGuid().ToString(), SourceService = "membership",
            Type = Date.Descriptor.FullName, Data = new Date { Year = 1994, Month = 4, Day = 20 }.ToByteString(),
            Metadata = new EventMetadata { CorrelationId = "corr-src", Traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
        };

        await _commands.DeliverAsync(TakeSeat(""), incoming, "seats", CancellationToken.None);
        await _commands.DeliverAsync(TakeSeat(""), incoming, "seats", CancellationToken.None);

        var record = Assert.Single(await _store.ReadStreamAsync("seats-1"));
        Assert.Equal(incoming.EventId, record.Metadata.CausationId);
        Assert.Equal("corr-src", record.Metadata.CorrelationId);
        // the same trace (its span is the consumer's append when something listens to the traces, else the incoming's)
        Assert.Equal(System.Diagnostics.ActivityContext.Parse(incoming.Metadata.Traceparent, null).TraceId, System.Diagnostics.ActivityContext.Parse(record.Metadata.Traceparent, null).TraceId);
        Assert.Equal("consumer:seats", record.Metadata.Actor.Subject);
        Assert.True(await _store.IsProcessedAsync("seats", "membership/" + incoming.EventId));
    }

    /// <summary>A long stream of years: a write appends the next year; its state is the years so far (a continued fold).</summary>
    static Command<System.Collections.Immutable.ImmutableList<int>> NextYear(string requestId, string stream = "years-1") =>
        new(stream, records => [.. records.Select(Year)], years => Verdict.Accept(new Date { Year = 1900 + years.Count, Month = 1, Day = 1 }))
        {
            Scope = "NextYear",
            RequestId = requestId,
            EffectiveDate = new DateOnly(2024, 11, 28),
            FoldFrom = (prior, added) => prior.AddRange(added.Select(Year)),
        };

    static int Year(EventRecord record) => Date.Parser.ParseFrom(record.Data).Year;

    [Fact]
    public async Task A_write_on_a_long_stream_reads_only_what_was_appended_since_the_state_it_held_and_answers_the_whole_state()
    {
        var first = new List<Written<System.Collections.Immutable.ImmutableList<int>>>();
        for (var i = 0; i < 30; i++)
        {
            first.Add(await _commands.ExecuteAsync(NextYear("y-" + i), CancellationToken.None));
        }

        // another writer (another instance of a shared database) appends behind this one's back
        await _store.AppendAsync(new AppendRequest("years-1", 30, [NewEvent.From(new Date { Year = 1930, Month = 1, Day = 1 }, new EventMetadata())]));
        var next = await _commands.ExecuteAsync(NextYear("y-31"), CancellationToken.None);

        Assert.Equal(Enumerable.Range(1900, 32), next.State); // decided on 31 years: its own, and the other writer's
        Assert.Equal(Enumerable.Range(1900, 32), (await _store.ReadStreamAsync("years-1")).Select(Year));
        // the last writes read the records after the state they held (and answer with those and their own), not the stream
        Assert.Equal(30, first[^1].State.Count);
        Assert.Single(first[^1].Records);
        Assert.Equal(2, next.Records.Count);
        Assert.True(_commands.Folded.Continued >= 14, $"continued {_commands.Folded.Continued}");
    }

    [Fact]
    public async Task A_retry_on_a_long_stream_answers_as_its_first_call_whether_it_is_older_than_the_held_state_or_not()
    {
        var writes = new List<Written<System.Collections.Immutable.ImmutableList<int>>>();
        for (var i = 0; i < 30; i++)
        {
            writes.Add(await _commands.ExecuteAsync(NextYear("r-" + i), CancellationToken.None));
        }

        var head = _store.HeadPosition;
        var old = await _commands.ExecuteAsync(NextYear("r-3"), CancellationToken.None); // long before the held state
        var recent = await _commands.ExecuteAsync(NextYear("r-29"), CancellationToken.None); // the held state's own write

        Assert.Equal(head, _store.HeadPosition);
        Assert.True(old.Retried);
        Assert.Equal(writes[3].EventIds, old.EventIds);
        Assert.Equal(writes[3].Events, old.Events);
        Assert.True(recent.Retried);
        Assert.Equal(writes[29].EventIds, recent.EventIds);
        Assert.Equal(Enumerable.Range(1900, 30), recent.State);
        var fresh = await _commands.ExecuteAsync(NextYear("r-30"), CancellationToken.None);
        Assert.False(fresh.Retried);
        Assert.Equal(Enumerable.Range(1900, 31), fresh.State);
    }

    [Fact]
    public async Task Concurrent_writes_on_a_long_stream_are_decided_again_on_the_held_state_and_none_is_lost_or_doubled()
    {
        for (var i = 0; i < 20; i++)
        {
            await _commands.ExecuteAsync(NextYear("c-" + i), CancellationToken.None);
        }

        // each attempt has one winner; a writer that loses MaxAttempts times gives up (ABORTED to a caller)
        var won = await Task.WhenAll(Enumerable.Range(20, 8).Select(async i =>
        {
            try
            {
                await _commands.ExecuteAsync(NextYear("c-" + i), CancellationToken.None);
                return 1;
            }
            catch (WrongExpectedVersionException)
            {
                return 0;
            }
        }));
        var last = await _commands.ExecuteAsync(NextYear("c-last"), CancellationToken.None);

        // every write decided on the state it saw: the years are consecutive in version order, one per winner
        var years = 20 + won.Sum() + 1;
        Assert.InRange(won.Sum(), CommandPath.MaxAttempts, 8);
        Assert.Equal(Enumerable.Range(1900, years), (await _store.ReadStreamAsync("years-1")).Select(Year));
        Assert.Equal(Enumerable.Range(1900, years), last.State);
    }
}

/// <summary>The caller of every write in these tests (the framework's accessor keeps the context per async flow).</summary>
sealed class OneCaller : IHttpContextAccessor
{
    public HttpContext? HttpContext { get; set; }
}
