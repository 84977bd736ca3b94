using System.Data;
using Csto.Bodies.Bodies;
using Csto.Bodies.Drafts;
using Csto.Bodies.Posts;
using Csto.Bodies.Sessions;
using Csto.Bodies.V1;
using Csto.EventLog;
using Csto.EventLog.Projections;

namespace Csto.Bodies.ReadModel;

/// <summary>Loads entities from their streams and indexes from the projection, after the projection caught up with the log (read your writes).</summary>
public sealed class BodiesQueries(IEventStore store, IReadModelStore readModel, ProjectionRunner runner)
{
    public async Task<SessionInfo?> LoadSessionAsync(string id, CancellationToken ct) =>
        SessionInfo.Of(await store.ReadStreamAsync("session-" + id, 1, ct));

    public async Task<DraftState?> LoadDraftAsync(string id, CancellationToken ct) =>
        DraftState.Of(await store.ReadStreamAsync("decision-" + id, 1, ct));

    public async Task<IReadOnlyDictionary<string, BodyInfo>> BodiesAsync(CancellationToken ct)
    {
        var rows = await QueryAsync("SELECT data FROM proj_bodies_body ORDER BY position", r => BodyEstablished.Parser.ParseFrom((byte[])r.GetValue(0)), ct);
        var result = new Dictionary<string, BodyInfo>(StringComparer.Ordinal);
        foreach (var e in rows)
        {
            result[e.BodyId] = BodyInfo.From(e);
        }

        return result;
    }

    public Task<IReadOnlyList<ChairFact>> ChairFactsAsync(string bodyId, CancellationToken ct) =>
        QueryAsync("SELECT position, data FROM proj_bodies_chair WHERE body_id = @b", r => new ChairFact(r.GetInt64(0), ChairAssumed.Parser.ParseFrom((byte[])r.GetValue(1))), ct, ("@b", bodyId));

    public Task<IReadOnlyList<AppointmentFact>> AppointmentsAsync(CancellationToken ct) =>
        QueryAsync("SELECT position, data FROM proj_bodies_secretary_general", r => new AppointmentFact(r.GetInt64(0), SecretaryGeneralAppointed.Parser.ParseFrom((byte[])r.GetValue(1))), ct);

    /// <summary>Draft ids after a position (keyset paging), with the position of each.</summary>
    public Task<IReadOnlyList<(string Id, long Position)>> DraftIdsAsync(string? sessionId, string? bodyId, DraftStatus status, long after, int limit, CancellationToken ct) =>
        QueryAsync("""
            SELECT draft_id, position FROM proj_bodies_draft
            WHERE position > @after AND (@s IS NULL OR session_id = @s) AND (@b IS NULL OR body_id = @b) AND (@st = 0 OR status = @st)
            ORDER BY position LIMIT @limit
            """, r => (r.GetString(0), r.GetInt64(1)), ct, ("@after", after), ("@s", sessionId), ("@b", bodyId), ("@st", (int)status), ("@limit", limit));

    public Task<IReadOnlyList<(string Id, long Position)>> DecisionIdsAsync(string? bodyId, DecisionKind kind, DateOnly? from, DateOnly? to, string? boundState, long after, int limit, CancellationToken ct) =>
        QueryAsync("""
            SELECT d.decision_id, d.position FROM proj_bodies_decision d
            WHERE d.position > @after AND (@b IS NULL OR d.body_id = @b) AND (@k = 0 OR d.kind = @k)
              AND (@from IS NULL OR d.effective_date >= @from) AND (@to IS NULL OR d.effective_date <= @to)
              AND (@state IS NULL OR EXISTS (SELECT 1 FROM proj_bodies_decision_bound x WHERE x.decision_id = d.decision_id AND x.state = @state))
            ORDER BY d.position LIMIT @limit
            """, r => (r.GetString(0), r.GetInt64(1)), ct, ("@after", after), ("@b", bodyId), ("@k", (int)kind), ("@from", from?.ToIso()), ("@to", to?.ToIso()), ("@state", boundState), ("@limit", limit));

    async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<IDataRecord, T> map, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await runner.WaitForPositionAsync(store.HeadPosition, ct);
        return await readModel.QueryAsync(sql, map, ct, parameters);
    }
}
