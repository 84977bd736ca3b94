using System.Globalization;
using Csto.Bodies.Bodies;
using Csto.Bodies.Drafts;
using Csto.Bodies.ReadModel;
using Csto.Bodies.Sessions;
using Csto.Bodies.Shared;
using Csto.Bodies.V1;
using Csto.EventLog;
using Csto.EventLog.Api;
using Csto.EventLog.Commands;
using Csto.EventLog.Roster;
using Grpc.Core;

namespace Csto.Bodies.Api;

/// <summary>Thin endpoints: parse the request, then one write through the command path or one query.</summary>
public sealed class BodiesGrpcService(CommandPath commands, BodiesQueries queries, RosterQueries rosters, TimeProvider clock) : BodiesService.BodiesServiceBase
{
    public override async Task<GetBodyResponse> GetBody(GetBodyRequest request, ServerCallContext context)
    {
        var body = await BodyAsync(request.Name, "name", context.CancellationToken);
        return new GetBodyResponse { Body = Views.ToBody(body) };
    }

    public override async Task<ListBodiesResponse> ListBodies(ListBodiesRequest request, ServerCallContext context)
    {
        var asOf = Dates.Optional(request.AsOf, "as_of");
        var name = request.DisplayName.Length == 0 ? null : BodyInfo.NameKey(request.DisplayName);
        var bodies = await queries.BodiesAsync(context.CancellationToken);
        var response = new ListBodiesResponse();
        void Visit(string parent)
        {
            foreach (var b in bodies.Values.Where(b => b.ParentId == parent && (asOf is null || b.FoundedOn <= asOf)))
            {
                if (name is null || BodyInfo.NameKey(b.Name) == name)
                {
                    response.Bodies.Add(Views.ToBody(b));
                }

                Visit(b.Id);
            }
        }

        Visit("");
        return response;
    }

    public override async Task<ConveneSessionResponse> ConveneSession(ConveneSessionRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var body = await BodyAsync(request.Body, "body", ct);
        var date = Dates.Required(request.Date, "date");
        var id = NewId(request.SessionId, "session_id", request.RequestId, "session");
        var roster = await rosters.LoadAsync(ct);
        var command = new ConveneSession(id, date, request.Place, request.HostState, request.Regular, request.Format, [.. request.Agenda], request.ChairHandedTo);
        var written = await commands.ExecuteAsync(
            new Command<SessionInfo?>("session-" + id, SessionInfo.Of, _ => SessionDecide.Convene(body, roster, command))
            {
                Scope = "ConveneSession", RequestId = request.RequestId, Expect = StreamExpectation.New, Resource = "sessions/" + id, EffectiveDateOf = _ => null, EffectiveDate = date,
            }, ct);
        return new ConveneSessionResponse { Session = Views.ToSession(written.State!) };
    }

    public override async Task<GetSessionResponse> GetSession(GetSessionRequest request, ServerCallContext context)
    {
        var session = await SessionAsync(request.Name, "name", context.CancellationToken);
        return new GetSessionResponse { Session = Views.ToSession(session) };
    }

    public override async Task<TableDraftResponse> TableDraft(TableDraftRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var session = await SessionAsync(request.Session, "session", ct);
        var id = NewId(request.DraftId, "draft_id", request.RequestId, "draft");
        var bodies = await queries.BodiesAsync(ct);
        var roster = await rosters.LoadAsync(ct);
        var command = new TableDraft(id, request.Title, request.Payload, request.Procedural, request.EffectiveDate);
        var written = await commands.ExecuteAsync(
            new Command<DraftState?>("decision-" + id, DraftState.Of, _ => DraftDecide.Table(session, bodies[session.BodyId], bodies, roster, command))
            {
                Scope = "TableDraft", RequestId = request.RequestId, Expect = StreamExpectation.New, Resource = "drafts/" + id, EffectiveDateOf = _ => null, EffectiveDate = session.Date,
            }, ct);
        return new TableDraftResponse { Draft = Views.ToDraft(written.State!) };
    }

    public override async Task<GetDraftResponse> GetDraft(GetDraftRequest request, ServerCallContext context)
    {
        var draft = await DraftAsync(request.Name, "name", "drafts", context.CancellationToken);
        return new GetDraftResponse { Draft = Views.ToDraft(draft) };
    }

    public override async Task<ListDraftsResponse> ListDrafts(ListDraftsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var session = request.Session.Length == 0 ? null : Names.Parse(request.Session, "sessions", "session");
        var body = request.Body.Length == 0 ? null : Names.Parse(request.Body, "bodies", "body");
        var size = PageTokens.Size(request.PageSize);
        var query = $"drafts|{session}|{body}|{(int)request.Status}";
        var ids = await queries.DraftIdsAsync(session, body, request.Status, After(request.PageToken, query), size + 1, ct);
        var response = new ListDraftsResponse();
        foreach (var (id, _) in ids.Take(size))
        {
            response.Drafts.Add(Views.ToDraft((await queries.LoadDraftAsync(id, ct))!));
        }

        response.NextPageToken = ids.Count > size ? PageTokens.Next(query, ids[size - 1].Position.ToString(CultureInfo.InvariantCulture)) : "";
        return response;
    }

    public override async Task<RecordPositionResponse> RecordPosition(RecordPositionRequest request, ServerCallContext context)
    {
        var draft = await DraftActAsync(request.Draft, "drafts", $"RecordPosition|{request.State}", request.RequestId, context,
            (d, roster) => DraftDecide.RecordPosition(d, roster, request.State, request.Position), d => d.SessionDate);
        return new RecordPositionResponse { Draft = Views.ToDraft(draft) };
    }

    public override async Task<ChangePositionResponse> ChangePosition(ChangePositionRequest request, ServerCallContext context)
    {
        var draft = await DraftActAsync(request.Draft, "drafts", $"ChangePosition|{request.State}", request.RequestId, context,
            (d, roster) => DraftDecide.ChangePosition(d, roster, request.State, request.Position), d => d.SessionDate);
        return new ChangePositionResponse { Draft = Views.ToDraft(draft) };
    }

    public override async Task<CloseDraftResponse> CloseDraft(CloseDraftRequest request, ServerCallContext context)
    {
        var bodies = await queries.BodiesAsync(context.CancellationToken);
        var terms = await queries.SecretaryGeneralTermsAsync(context.CancellationToken);
        var closed = await DraftActAsync(request.Draft, "drafts", "CloseDraft", request.RequestId, context,
            (d, roster) => DraftDecide.Close(d, bodies[d.Tabled.BodyId], bodies, roster, new CloseDraft(request.Action, request.ExpectedCounts, request.Reason), terms), d => d.EffectiveDate);
        return new CloseDraftResponse { Draft = Views.ToDraft(closed), Decision = Views.ToDecision(closed) };
    }

    public override async Task<GetDecisionResponse> GetDecision(GetDecisionRequest request, ServerCallContext context)
    {
        var draft = await DraftAsync(request.Name, "name", "decisions", context.CancellationToken);
        return new GetDecisionResponse { Decision = Views.ToDecision(draft) ?? throw RpcErrors.NotFound(request.Name, $"{request.Name}: the draft was not adopted ({draft.Status})") };
    }

    public override async Task<ListDecisionsResponse> ListDecisions(ListDecisionsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var body = request.Body.Length == 0 ? null : Names.Parse(request.Body, "bodies", "body");
        var from = Dates.Optional(request.FromDate, "from_date");
        var to = Dates.Optional(request.ToDate, "to_date");
        var bound = request.BoundState.Length == 0 ? null : StateCodes.Require(request.BoundState, "bound_state");
        var session = request.Session.Length == 0 ? null : Names.Parse(request.Session, "sessions", "session");
        var size = PageTokens.Size(request.PageSize);
        var query = $"decisions|{body}|{(int)request.Kind}|{from?.ToIso()}|{to?.ToIso()}|{bound}|{(int)request.Rule}|{session}";
        var ids = await queries.DecisionIdsAsync(body, request.Kind, from, to, bound, After(request.PageToken, query), size + 1, ct, request.Rule, session);
        var response = new ListDecisionsResponse();
        foreach (var (id, _) in ids.Take(size))
        {
            response.Decisions.Add(Views.ToDecision((await queries.LoadDraftAsync(id, ct))!));
        }

        response.NextPageToken = ids.Count > size ? PageTokens.Next(query, ids[size - 1].Position.ToString(CultureInfo.InvariantCulture)) : "";
        return response;
    }

    public override async Task<JoinDecisionResponse> JoinDecision(JoinDecisionRequest request, ServerCallContext context)
    {
        var joined = await DraftActAsync(request.Decision, "decisions", $"JoinDecision|{request.State}", request.RequestId, context,
            (d, roster) => DraftDecide.Join(d, roster, request.State, request.JoinedOn), d => request.JoinedOn.IsValid() ? request.JoinedOn.ToDateOnly() : d.EffectiveDate);
        return new JoinDecisionResponse { Decision = Views.ToDecision(joined) };
    }

    public override async Task<GetChairResponse> GetChair(GetChairRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        // The chair of the CSC also chairs the statutory bodies: one rotation (domain.md, "Chairmanship in practice").
        _ = await BodyAsync(request.Body.Length == 0 ? "bodies/" + SessionDecide.Council : request.Body, "body", ct);
        var asOf = AsOf(request.AsOf);
        var chair = Posts.Posts.ChairOn(await queries.ChairFactsAsync(SessionDecide.Council, ct), asOf)
            ?? throw RpcErrors.NotFound("chairs/" + SessionDecide.Council, $"no chair recorded on {asOf.ToIso()}");
        return new GetChairResponse
        {
            State = chair.State, Since = chair.Since, Until = chair.Until, Basis = chair.Basis, Session = chair.Session, Decision = chair.Decision,
            Provenance = chair.Provenance, AsOf = asOf.ToProto(),
        };
    }

    public override async Task<GetSecretaryGeneralResponse> GetSecretaryGeneral(GetSecretaryGeneralRequest request, ServerCallContext context)
    {
        var asOf = AsOf(request.AsOf);
        var term = Posts.Posts.SecretaryGeneralOn(await queries.SecretaryGeneralTermsAsync(context.CancellationToken), asOf)
            ?? throw RpcErrors.NotFound("secretaryGeneral", $"no Secretary General in office on {asOf.ToIso()}");
        var appointment = await queries.AppointmentAsync(term.Decision, context.CancellationToken);
        return new GetSecretaryGeneralResponse { Appointment = appointment, Term = term, AsOf = asOf.ToProto() };
    }

    public override async Task<ListChairsResponse> ListChairs(ListChairsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        _ = await BodyAsync(request.Body.Length == 0 ? "bodies/" + SessionDecide.Council : request.Body, "body", ct);
        return new ListChairsResponse { Chairs = { Posts.Posts.Chairs(await queries.ChairFactsAsync(SessionDecide.Council, ct)) } };
    }

    public override async Task<ListSecretariesGeneralResponse> ListSecretariesGeneral(ListSecretariesGeneralRequest request, ServerCallContext context) =>
        new() { Terms = { await queries.SecretaryGeneralTermsAsync(context.CancellationToken) } };

    public override async Task<ListSessionsResponse> ListSessions(ListSessionsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var body = request.Body.Length == 0 ? null : Names.Parse(request.Body, "bodies", "body");
        var host = request.HostState.Length == 0 ? null : StateCodes.Require(request.HostState, "host_state");
        if (request.Year is < 0 or > 9999)
        {
            throw RpcErrors.InvalidArgument("year", "a year from 1 to 9999, or 0 for any");
        }

        var size = PageTokens.Size(request.PageSize);
        var query = $"sessions|{body}|{request.Year}|{host}";
        var keys = await queries.SessionIdsAsync(body, request.Year, host, PageTokens.After(request.PageToken, query), size + 1, ct);
        var response = new ListSessionsResponse();
        foreach (var (id, _) in keys.Take(size))
        {
            response.Sessions.Add(Views.ToSession((await queries.LoadSessionAsync(id, ct))!));
        }

        response.NextPageToken = keys.Count > size ? PageTokens.Next(query, keys[size - 1].Key) : "";
        return response;
    }

    public override async Task<ListStatePositionsResponse> ListStatePositions(ListStatePositionsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var state = StateCodes.Require(request.State, "state");
        var body = request.Body.Length == 0 ? null : Names.Parse(request.Body, "bodies", "body");
        var size = PageTokens.Size(request.PageSize);
        var query = $"positions|{state}|{(int)request.Position}|{body}";
        var rows = await queries.StatePositionsAsync(state, request.Position, body, After(request.PageToken, query), size + 1, ct);
        var response = new ListStatePositionsResponse();
        foreach (var (draftId, position, _) in rows.Take(size))
        {
            var draft = (await queries.LoadDraftAsync(draftId, ct))!;
            response.Positions.Add(new StatePositionEntry
            {
                Draft = draft.DraftName,
                Decision = draft.Adopted is null ? "" : draft.DecisionName,
                Title = draft.Tabled.Title,
                Body = "bodies/" + draft.Tabled.BodyId,
                Session = draft.Tabled.Session,
                SessionDate = draft.Tabled.SessionDate,
                Position = position,
                Outcome = draft.Status,
                Rule = draft.Adopted?.Rule ?? draft.Returned?.Rule ?? DecisionRule.Unspecified,
            });
        }

        response.NextPageToken = rows.Count > size ? PageTokens.Next(query, rows[size - 1].LogPosition.ToString(CultureInfo.InvariantCulture)) : "";
        return response;
    }

    public override async Task<AdmitBodyObserverResponse> AdmitBodyObserver(AdmitBodyObserverRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var body = await BodyAsync(request.Body, "body", ct);
        var roster = await rosters.LoadAsync(ct);
        var command = new AdmitBodyObserver(request.Observer, request.Kind, request.AdmittedOn, request.DisplayName);
        await commands.ExecuteAsync(
            new Command<BodyStream>("body-" + body.Id, BodyStream.Of, stream => Observers.Admit(body, stream.Observers, roster, command))
            {
                Scope = $"AdmitBodyObserver|{body.Id}|{request.Observer}", RequestId = request.RequestId, Resource = request.Body, EffectiveDateOf = _ => null,
                EffectiveDate = request.AdmittedOn.IsValid() ? request.AdmittedOn.ToDateOnly() : null,
            }, ct);
        return new AdmitBodyObserverResponse { Body = Views.ToBody((await queries.BodiesAsync(ct))[body.Id]) };
    }

    public override async Task<EndBodyObserverResponse> EndBodyObserver(EndBodyObserverRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var body = await BodyAsync(request.Body, "body", ct);
        var command = new EndBodyObserver(request.Observer, request.EndedOn, request.Reason);
        await commands.ExecuteAsync(
            new Command<BodyStream>("body-" + body.Id, BodyStream.Of, stream => Observers.End(body, stream.Observers, command))
            {
                Scope = $"EndBodyObserver|{body.Id}|{request.Observer}", RequestId = request.RequestId, Resource = request.Body, EffectiveDateOf = _ => null,
                EffectiveDate = request.EndedOn.IsValid() ? request.EndedOn.ToDateOnly() : null,
            }, ct);
        return new EndBodyObserverResponse { Body = Views.ToBody((await queries.BodiesAsync(ct))[body.Id]) };
    }

    public override async Task<RecordExternalRelationResponse> RecordExternalRelation(RecordExternalRelationRequest request, ServerCallContext context)
    {
        var id = NewId(request.RelationId, "relation_id", request.RequestId, "relation");
        var command = new Relations.RecordRelation(id, request.Counterpart, request.Kind, request.EffectiveDate, request.Summary, request.Place);
        var written = await commands.ExecuteAsync(
            new Command<ExternalRelation?>("relation-" + id, Relations.Relations.Of, _ => Relations.Relations.Record(command))
            {
                Scope = "RecordExternalRelation", RequestId = request.RequestId, Expect = StreamExpectation.New, Resource = "relations/" + id,
            }, context.CancellationToken);
        return new RecordExternalRelationResponse { Relation = written.State };
    }

    public override async Task<ListExternalRelationsResponse> ListExternalRelations(ListExternalRelationsRequest request, ServerCallContext context) =>
        new() { Relations = { await queries.RelationsAsync(request.Counterpart.Length == 0 ? null : request.Counterpart, context.CancellationToken) } };

    DateOnly AsOf(Csto.Common.V1.Date? date) => Dates.Optional(date, "as_of") ?? DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    /// <summary>An act on an existing draft or decision ("decision-{id}"), decided against the roster, dated by <paramref name="actDate"/>.</summary>
    async Task<DraftState> DraftActAsync(string name, string collection, string scope, string requestId, ServerCallContext context,
        Func<DraftState, RosterView, Verdict> decide, Func<DraftState, DateOnly> actDate)
    {
        var id = Names.Parse(name, collection, collection == "drafts" ? "draft" : "decision");
        var roster = await rosters.LoadAsync(context.CancellationToken);
        var written = await commands.ExecuteAsync(
            new Command<DraftState?>("decision-" + id, DraftState.Of, d => decide(d!, roster))
            {
                Scope = scope, RequestId = requestId, Expect = StreamExpectation.Existing, Resource = name, EffectiveDateOf = _ => null, ActDate = d => actDate(d!),
            }, context.CancellationToken);
        return written.State!;
    }

    async Task<BodyInfo> BodyAsync(string name, string field, CancellationToken ct)
    {
        var id = Names.Parse(name, "bodies", field);
        var bodies = await queries.BodiesAsync(ct);
        return bodies.TryGetValue(id, out var body) ? body : throw RpcErrors.NotFound(name, $"unknown body {name}");
    }

    async Task<SessionInfo> SessionAsync(string name, string field, CancellationToken ct) =>
        await queries.LoadSessionAsync(Names.Parse(name, "sessions", field), ct) ?? throw RpcErrors.NotFound(name, $"unknown session {name}");

    async Task<DraftState> DraftAsync(string name, string field, string collection, CancellationToken ct) =>
        await queries.LoadDraftAsync(Names.Parse(name, collection, field), ct) ?? throw RpcErrors.NotFound(name, $"unknown {collection[..^1]} {name}");

    static string NewId(string requested, string field, string requestId, string kind)
    {
        if (requested.Length > 0)
        {
            return Ids.IsValidId(requested) ? requested : throw RpcErrors.InvalidArgument(field, "lower-case letters, digits and '-', up to 63");
        }

        return requestId.Length > 0 ? EventIds.FromName("bodies", $"{kind}|{requestId}").Replace("-", "", StringComparison.Ordinal)[..16] : Ids.NewId();
    }

    /// <summary>The position after which a page starts; a token that decodes but carries no position of ours is refused, never an exception.</summary>
    static long After(string token, string query)
    {
        var after = PageTokens.After(token, query);
        return after.Length == 0 ? 0
            : long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var key) && key > 0 ? key
            : throw RpcErrors.InvalidArgument("page_token", "not a token of this query (its key is not a position this service gave)");
    }
}

public static class Names
{
    /// <summary>The id of a resource name "{collection}/{id}"; INVALID_ARGUMENT naming the field otherwise.</summary>
    public static string Parse(string? name, string collection, string field)
    {
        var prefix = collection + "/";
        if (name is null || !name.StartsWith(prefix, StringComparison.Ordinal) || name.Length == prefix.Length || name.IndexOf('/', prefix.Length) >= 0)
        {
            throw RpcErrors.InvalidArgument(field, $"expected a resource name '{prefix}{{id}}'");
        }

        return name[prefix.Length..];
    }
}
