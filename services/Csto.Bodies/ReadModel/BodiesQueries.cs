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

    static readonly string[] BodyTypes = [BodyEstablished.Descriptor.FullName, BodyObserverAdmitted.Descriptor.FullName, BodyObserverEnded.Descriptor.FullName];

    static readonly string[] SecretaryGeneralTypes = [SecretaryGeneralAppointed.Descriptor.FullName, SecretaryGeneralTermEnded.Descriptor.FullName];

    Held<IReadOnlyDictionary<string, BodyInfo>>? _bodies;

    Held<IReadOnlyList<SecretaryGeneralTerm>>? _terms;

    sealed record Held<T>(long Position, T Value);

    /// <summary>
    /// The bodies with their observers. Every write that checks a body asks for them (a draft, a position, a close), so they
    /// are read only once the bodies projection has applied the last event of their own types, not the whole log's head,
    /// and kept until one of those arrives: a close does not queue behind the projections of every other write.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, BodyInfo>> BodiesAsync(CancellationToken ct)
    {
        var position = await store.ReadLastPositionOfTypesAsync(BodyTypes, ct);
        if (Volatile.Read(ref _bodies) is { } held && held.Position == position)
        {
            return held.Value;
        }

        await runner.WaitForPositionAsync(BodiesProjection.ProjectionName, position, ct);
        var bodies = await ReadBodiesAsync(ct);
        // rows read at or after the position: they hold at least every event of those types up to it
        Volatile.Write(ref _bodies, new Held<IReadOnlyDictionary<string, BodyInfo>>(position, bodies));
        return bodies;
    }

    async Task<IReadOnlyDictionary<string, BodyInfo>> ReadBodiesAsync(CancellationToken ct)
    {
        var rows = await readModel.QueryAsync("SELECT data, prov FROM proj_bodies_body ORDER BY position", r => (BodyEstablished.Parser.ParseFrom((byte[])r.GetValue(0)), Prov(r, 1)), ct);
        var observers = await readModel.QueryAsync("SELECT body_id, data, prov FROM proj_bodies_observer ORDER BY position",
            r => (Body: r.GetString(0), Event: Google.Protobuf.WellKnownTypes.Any.Parser.ParseFrom((byte[])r.GetValue(1)), Prov: Prov(r, 2)), ct);
        var byBody = new Dictionary<string, List<BodyObserver>>(StringComparer.Ordinal);
        foreach (var (body, any, prov) in observers)
        {
            var list = byBody.TryGetValue(body, out var l) ? l : byBody[body] = [];
            if (any.TryUnpack<BodyObserverAdmitted>(out var admitted))
            {
                list.Add(Observers.ToView(admitted, prov));
            }
            else if (any.TryUnpack<BodyObserverEnded>(out var ended))
            {
                Observers.Apply(list, ended);
            }
        }

        var result = new Dictionary<string, BodyInfo>(StringComparer.Ordinal);
        foreach (var (e, prov) in rows)
        {
            result[e.BodyId] = BodyInfo.From(e) with { Provenance = prov, Observers = byBody.TryGetValue(e.BodyId, out var o) ? o : [] };
        }

        return result;
    }

    public Task<IReadOnlyList<ChairFact>> ChairFactsAsync(string bodyId, CancellationToken ct) =>
        QueryAsync("SELECT position, data, prov FROM proj_bodies_chair WHERE body_id = @b", r => new ChairFact(r.GetInt64(0), ChairAssumed.Parser.ParseFrom((byte[])r.GetValue(1)), Prov(r, 2)), ct, ("@b", bodyId));

    /// <summary>The terms of the post of Secretary General, with their early ends.</summary>
    /// <remarks>Read once the projection has applied the last appointment or early end (see <see cref="BodiesAsync"/>), and kept until the next.</remarks>
    public async Task<IReadOnlyList<SecretaryGeneralTerm>> SecretaryGeneralTermsAsync(CancellationToken ct)
    {
        var position = await store.ReadLastPositionOfTypesAsync(SecretaryGeneralTypes, ct);
        if (Volatile.Read(ref _terms) is { } held && held.Position == position)
        {
            return held.Value;
        }

        await runner.WaitForPositionAsync(BodiesProjection.ProjectionName, position, ct);
        var appointments = await readModel.QueryAsync("SELECT position, data, prov FROM proj_bodies_secretary_general",
            r => new AppointmentFact(r.GetInt64(0), SecretaryGeneralAppointed.Parser.ParseFrom((byte[])r.GetValue(1)), Prov(r, 2)), ct);
        var ends = await readModel.QueryAsync("SELECT position, data, prov FROM proj_bodies_secretary_general_end",
            r => new TermEndFact(r.GetInt64(0), SecretaryGeneralTermEnded.Parser.ParseFrom((byte[])r.GetValue(1)), Prov(r, 2)), ct);
        var terms = Posts.Posts.Terms(appointments, ends);
        Volatile.Write(ref _terms, new Held<IReadOnlyList<SecretaryGeneralTerm>>(position, terms));
        return terms;
    }

    public async Task<SecretaryGeneralAppointed?> AppointmentAsync(string decisionId, CancellationToken ct) =>
        (await QueryAsync("SELECT data FROM proj_bodies_secretary_general", r => SecretaryGeneralAppointed.Parser.ParseFrom((byte[])r.GetValue(0)), ct))
            .FirstOrDefault(a => a.Decision == decisionId);

    /// <summary>Session ids in date order after a position in that order (keyset paging on "date|id").</summary>
    public Task<IReadOnlyList<(string Id, string Key)>> SessionIdsAsync(string? bodyId, int year, string? host, string after, int limit, CancellationToken ct) =>
        QueryAsync("""
            SELECT session_id, date || '|' || session_id FROM proj_bodies_session
            WHERE (date || '|' || session_id) > @after AND (@b IS NULL OR body_id = @b) AND (@h IS NULL OR host_state = @h)
              AND (@y = 0 OR (date >= @from AND date < @to))
            ORDER BY date, session_id LIMIT @limit
            """, r => (r.GetString(0), r.GetString(1)), ct, ("@after", after), ("@b", bodyId), ("@h", host), ("@y", year),
            ("@from", $"{year:D4}-01-01"), ("@to", $"{year + 1:D4}-01-01"), ("@limit", limit));

    /// <summary>The positions a state took on closed drafts, in the order they closed (keyset paging on the log position).</summary>
    public Task<IReadOnlyList<(string DraftId, Position Position, long LogPosition)>> StatePositionsAsync(string state, Position position, string? bodyId, long after, int limit, CancellationToken ct) =>
        QueryAsync("""
            SELECT draft_id, position_taken, position FROM proj_bodies_position
            WHERE state = @s AND position > @after AND (@p = 0 OR position_taken = @p) AND (@b IS NULL OR body_id = @b)
            ORDER BY position, draft_id LIMIT @limit
            """, r => (r.GetString(0), (Position)r.GetInt32(1), r.GetInt64(2)), ct, ("@s", state), ("@after", after), ("@p", (int)position), ("@b", bodyId), ("@limit", limit));

    /// <summary>Relations in date order, optionally of one counterpart.</summary>
    public Task<IReadOnlyList<ExternalRelation>> RelationsAsync(string? counterpart, CancellationToken ct) =>
        QueryAsync("SELECT data, prov FROM proj_bodies_relation WHERE (@c IS NULL OR counterpart_key = @c) ORDER BY effective_date, position",
            r => Relations.Relations.ToView(ExternalRelationRecorded.Parser.ParseFrom((byte[])r.GetValue(0)), Prov(r, 1)), ct, ("@c", counterpart is null ? null : BodyInfo.NameKey(counterpart)));

    static Csto.Common.V1.Provenance? Prov(IDataRecord r, int i) =>
        r.GetValue(i) is byte[] { Length: > 0 } bytes ? Csto.Common.V1.Provenance.Parser.ParseFrom(bytes) : null;

    /// <summary>Draft ids after a position (keyset paging), with the position of each.</summary>
    public Task<IReadOnlyList<(string Id, long Position)>> DraftIdsAsync(string? sessionId, string? bodyId, DraftStatus status, long after, int limit, CancellationToken ct) =>
        QueryAsync("""
            SELECT draft_id, position FROM proj_bodies_draft
            WHERE position > @after AND (@s IS NULL OR session_id = @s) AND (@b IS NULL OR body_id = @b) AND (@st = 0 OR status = @st)
            ORDER BY position LIMIT @limit
            """, r => (r.GetString(0), r.GetInt64(1)), ct, ("@after", after), ("@s", sessionId), ("@b", bodyId), ("@st", (int)status), ("@limit", limit));

    public Task<IReadOnlyList<(string Id, long Position)>> DecisionIdsAsync(string? bodyId, DecisionKind kind, DateOnly? from, DateOnly? to, string? boundState, long after, int limit, CancellationToken ct,
        DecisionRule rule = DecisionRule.Unspecified, string? sessionId = null) =>
        QueryAsync("""
            SELECT d.decision_id, d.position FROM proj_bodies_decision d
            WHERE d.position > @after AND (@b IS NULL OR d.body_id = @b) AND (@k = 0 OR d.kind = @k)
              AND (@r = 0 OR d.rule = @r) AND (@sess IS NULL OR d.session_id = @sess)
              AND (@from IS NULL OR d.effective_date >= @from) AND (@to IS NULL OR d.effective_date <= @to)
              AND (@state IS NULL OR EXISTS (SELECT 1 FROM proj_bodies_decision_bound x WHERE x.decision_id = d.decision_id AND x.state = @state))
            ORDER BY d.position LIMIT @limit
            """, r => (r.GetString(0), r.GetInt64(1)), ct, ("@after", after), ("@b", bodyId), ("@k", (int)kind), ("@from", from?.ToIso()), ("@to", to?.ToIso()), ("@state", boundState), ("@limit", limit), ("@r", (int)rule), ("@sess", sessionId));

    async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<IDataRecord, T> map, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await runner.WaitForPositionAsync(await store.ReadHeadAsync(ct), ct);
        return await readModel.QueryAsync(sql, map, ct, parameters);
    }
}
