using Csto.Bodies.ReadModel;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Projections;
using Csto.EventLog.V1;
using Csto.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Csto.Bodies.Tests;

/// <summary>
/// The bodies' projection and their real query SQL, unchanged, on SQLite and on PostgreSQL: the same answers (null
/// filters included) and the same table hash on both engines.
/// </summary>
public sealed class ReadModelOnBothStoresTests
{
    static Date D(int y, int m, int d) => new() { Year = y, Month = m, Day = d };

    static IEnumerable<(string Stream, Google.Protobuf.IMessage Event)> History()
    {
        yield return ("body-csc", new BodyEstablished { BodyId = "csc", Name = "Collective Security Council", FoundedOn = D(1992, 5, 15) });
        yield return ("body-cmfa", new BodyEstablished { BodyId = "cmfa", Name = "Council of Foreign Ministers", ParentBodyId = "csc", FoundedOn = D(1992, 5, 15) });
        yield return ("session-s1", new SessionConvened { Session = "sessions/s1", BodyId = "csc", Date = D(2010, 12, 10), HostState = "RUS", Regular = true });
        yield return ("session-s2", new SessionConvened { Session = "sessions/s2", BodyId = "csc", Date = D(2012, 12, 19), HostState = "RUS", Regular = true });
        yield return ("decision-d1", new DraftTabled { Draft = "decisions/d1", Session = "sessions/s1", BodyId = "csc", Title = "d1" });
        yield return ("decision-d2", new DraftTabled { Draft = "decisions/d2", Session = "sessions/s2", BodyId = "csc", Title = "d2" });
        yield return ("decision-d1", new DecisionAdopted
        {
            Decision = "decisions/d1", Draft = "decisions/d1", BodyId = "csc", Session = "sessions/s1", EffectiveDate = D(2010, 12, 10), Title = "d1",
            BoundStates = { "ARM", "KAZ", "RUS" },
            Positions = { new StatePosition { State = "ARM", Position = Position.Support }, new StatePosition { State = "KAZ", Position = Position.Support } },
        });
        yield return ("relation-un", new ExternalRelationRecorded { Relation = "relations/un", Counterpart = "United Nations", EffectiveDate = D(2004, 12, 2) });
    }

    static async Task<(string Answers, string Hash)> RunAsync(IEventStore store)
    {
        foreach (var (stream, e) in History())
        {
            await store.AppendAsync(new AppendRequest(stream, ExpectedVersion.Any, [NewEvent.From(e, new EventMetadata())]));
        }

        var readModel = (IReadModelStore)store;
        var projection = new BodiesProjection();
        var runner = new ProjectionRunner(store, readModel, [projection], NullLogger<ProjectionRunner>.Instance);
        await runner.StartAsync(CancellationToken.None);
        try
        {
            var q = new BodiesQueries(store, readModel, runner);
            var ct = CancellationToken.None;
            var bodies = await q.BodiesAsync(ct);
            var sessions = await q.SessionIdsAsync(null, 0, null, "", 10, ct);
            var sessions2012 = await q.SessionIdsAsync("csc", 2012, "RUS", "", 10, ct);
            var drafts = await q.DraftIdsAsync(null, null, DraftStatus.Unspecified, 0, 10, ct);
            var decisions = await q.DecisionIdsAsync(null, DecisionKind.Unspecified, null, null, null, 0, 10, ct);
            var bound = await q.DecisionIdsAsync("csc", DecisionKind.Unspecified, new DateOnly(2010, 1, 1), new DateOnly(2011, 1, 1), "KAZ", 0, 10, ct);
            var positions = await q.StatePositionsAsync("KAZ", Position.Unspecified, null, 0, 10, ct);
            var relations = await q.RelationsAsync(null, ct);
            var chairs = await q.ChairFactsAsync("csc", ct);
            var answers = string.Join("\n",
                string.Join(",", bodies.Keys.Order(StringComparer.Ordinal)),
                string.Join(",", sessions.Select(s => s.Id)),
                string.Join(",", sessions2012.Select(s => s.Id)),
                string.Join(",", drafts.Select(d => d.Id)),
                string.Join(",", decisions.Select(d => d.Id)),
                string.Join(",", bound.Select(d => d.Id)),
                string.Join(",", positions.Select(p => $"{p.DraftId}:{p.Position}")),
                relations.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                chairs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return (answers, await runner.HashAsync(projection));
        }
        finally
        {
            await runner.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_bodies_queries_answer_the_same_on_SQLite_and_PostgreSQL()
    {
        using var dir = new TempDir();
        await using var sqlite = new SqliteEventStore(Path.Combine(dir.Path, "bodies.db"), "bodies");
        var service = TestPostgres.NewServiceName("bodies");
        try
        {
            await using var postgres = PostgresEventStore.Open(TestPostgres.ConnectionString, service);
            var onSqlite = await RunAsync(sqlite);
            var onPostgres = await RunAsync(postgres);

            Assert.Equal("cmfa,csc\ns1,s2\ns2\nd1,d2\nd1\nd1\nd1:Support\n1\n0", onSqlite.Answers);
            Assert.Equal(onSqlite.Answers, onPostgres.Answers);
            Assert.Equal(onSqlite.Hash, onPostgres.Hash);
        }
        finally
        {
            await TestPostgres.DropAsync(service);
        }
    }
}
