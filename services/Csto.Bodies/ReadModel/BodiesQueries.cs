using System.Globalization;
using Csto.Bodies.Bodies;
using Csto.Bodies.Drafts;
using Csto.Bodies.Posts;
using Csto.Bodies.Roster;
using Csto.Bodies.Sessions;
using Csto.Bodies.Shared;
using Csto.Bodies.V1;
using Csto.EventLog;
using Csto.EventLog.Projections;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Microsoft.Data.Sqlite;

namespace Csto.Bodies.ReadModel;

/// <summary>Loads entities from their streams and indexes from the projection, after the projection caught up with the log (read your writes).</summary>
public sealed class BodiesQueries(SqliteEventStore store, ProjectionRunner runner)
{
    public Task CatchUpAsync(CancellationToken ct) => runner.WaitForPositionAsync(store.HeadPosition, ct);

    public Task CatchUpAsync(long position, CancellationToken ct) => runner.WaitForPositionAsync(position, ct);

    public async Task<(IReadOnlyList<EventRecord> Records, SessionInfo? Session)> LoadSessionAsync(string id, CancellationToken ct)
    {
        var records = await store.ReadStreamAsync("session-" + id, 1, ct);
        var convened = EventTypes.ParseAll(records).OfType<SessionConvened>().FirstOrDefault();
        return (records, convened is null ? null : SessionInfo.From(convened));
    }

    public async Task<(IReadOnlyList<EventRecord> Records, DraftState? Draft)> LoadDraftAsync(string id, CancellationToken ct)
    {
        var records = await store.ReadStreamAsync("decision-" + id, 1, ct);
        return (records, DraftState.Fold(EventTypes.ParseAll(records)));
    }

    public async Task<IReadOnlyDictionary<string, BodyInfo>> BodiesAsync(CancellationToken ct)
    {
        await CatchUpAsync(ct);
        var result = new Dictionary<string, BodyInfo>(StringComparer.Ordinal);
        foreach (var e in Query("SELECT data FROM proj_bodies_body ORDER BY position", r => BodyEstablished.Parser.ParseFrom((byte[])r.GetValue(0))))
        {
            result[e.BodyId] = BodyInfo.From(e);
        }

        return result;
    }

    public async Task<RosterHistory> RosterAsync(CancellationToken ct)
    {
        await CatchUpAsync(ct);
        return new RosterHistory(Query("SELECT state, source_version, effective_date, status FROM proj_bodies_roster", r =>
            new RosterEntry(r.GetString(0), r.GetInt64(1), DateOnly.ParseExact(r.GetString(2), "yyyy-MM-dd", CultureInfo.InvariantCulture), (MemberStatus)r.GetInt32(3))));
    }

    public async Task<IReadOnlyList<ChairFact>> ChairFactsAsync(string bodyId, CancellationToken ct)
    {
        await CatchUpAsync(ct);
        return Query("SELECT position, data FROM proj_bodies_chair WHERE body_id = $b", r => new ChairFact(r.GetInt64(0), ChairAssumed.Parser.ParseFrom((byte[])r.GetValue(1))), ("$b", bodyId));
    }

    public async Task<IReadOnlyList<AppointmentFact>> AppointmentsAsync(CancellationToken ct)
    {
        await CatchUpAsync(ct);
        return Query("SELECT position, data FROM proj_bodies_secretary_general", r => new AppointmentFact(r.GetInt64(0), SecretaryGeneralAppointed.Parser.ParseFrom((byte[])r.GetValue(1))));
    }

    /// <summary>Draft ids after a position (keyset paging), with the position of each.</summary>
    public async Task<IReadOnlyList<(string Id, long Position)>> DraftIdsAsync(string? sessionId, string? bodyId, DraftStatus status, long after, int limit, CancellationToken ct)
    {
        await CatchUpAsync(ct);
        return Query("""
            SELECT draft_id, position FROM proj_bodies_draft
            WHERE position > $after AND ($s IS NULL OR session_id = $s) AND ($b IS NULL OR body_id = $b) AND ($st = 0 OR status = $st)
            ORDER BY position LIMIT $limit
            """, r => (r.GetString(0), r.GetInt64(1)), ("$after", after), ("$s", sessionId), ("$b", bodyId), ("$st", (int)status), ("$limit", limit));
    }

    public async Task<IReadOnlyList<(string Id, long Position)>> DecisionIdsAsync(string? bodyId, DecisionKind kind, DateOnly? from, DateOnly? to, string? boundState, long after, int limit, CancellationToken ct)
    {
        await CatchUpAsync(ct);
        return Query("""
            SELECT d.decision_id, d.position FROM proj_bodies_decision d
            WHERE d.position > $after AND ($b IS NULL OR d.body_id = $b) AND ($k = 0 OR d.kind = $k)
              AND ($from IS NULL OR d.effective_date >= $from) AND ($to IS NULL OR d.effective_date <= $to)
              AND ($state IS NULL OR EXISTS (SELECT 1 FROM proj_bodies_decision_bound x WHERE x.decision_id = d.decision_id AND x.state = $state))
            ORDER BY d.position LIMIT $limit
            """, r => (r.GetString(0), r.GetInt64(1)), ("$after", after), ("$b", bodyId), ("$k", (int)kind), ("$from", from?.ToIso()), ("$to", to?.ToIso()), ("$state", boundState), ("$limit", limit));
    }

    List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] parameters)
    {
        using var connection = store.OpenReadConnection();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var list = new List<T>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            list.Add(map(reader));
        }

        return list;
    }
}
