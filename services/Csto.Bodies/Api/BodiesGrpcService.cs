using System.Globalization;
using Csto.Bodies.Bodies;
using Csto.Bodies.Drafts;
using Csto.Bodies.ReadModel;
using Csto.Bodies.Sessions;
using Csto.Bodies.Shared;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Api;
using Csto.EventLog.Security;
using Csto.EventLog.V1;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Csto.Bodies.Api;

/// <summary>Thin endpoints: parse, load state, call the pure decide function, append, answer from the new state.</summary>
public sealed class BodiesGrpcService(IEventStore store, BodiesQueries queries) : BodiesService.BodiesServiceBase
{
    const int DefaultPageSize = 50;
    const int MaxPageSize = 500;

    public override async Task<GetBodyResponse> GetBody(GetBodyRequest request, ServerCallContext context)
    {
        var body = await BodyAsync(request.Name, "name", context.CancellationToken);
        return new GetBodyResponse { Body = Views.ToBody(body) };
    }

    public override async Task<ListBodiesResponse> ListBodies(ListBodiesRequest request, ServerCallContext context)
    {
        var asOf = OptionalDate(request.AsOf, "as_of");
        var bodies = await queries.BodiesAsync(context.CancellationToken);
        var response = new ListBodiesResponse();
        void Visit(string parent)
        {
            foreach (var b in bodies.Values.Where(b => b.ParentId == parent && (asOf is null || b.FoundedOn <= asOf)))
            {
                response.Bodies.Add(Views.ToBody(b));
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
        var date = RequiredDate(request.Date, "date");
        var id = NewId(request.SessionId, "session_id", request.RequestId, "session");
        var ids = new WriteIds(request.RequestId, "ConveneSession|" + id);
        var (records, existing) = await queries.LoadSessionAsync(id, ct);
        if (existing is not null)
        {
            return ids.IsRetryIn(records) ? new ConveneSessionResponse { Session = Views.ToSession(existing) } : throw AlreadyExists("sessions/" + id);
        }

        var roster = await queries.RosterAsync(ct);
        var verdict = SessionDecide.Convene(body, roster, new ConveneSession(id, date, request.Place, request.HostState, request.Regular, request.Format, [.. request.Agenda]));
        await AppendAsync("session-" + id, ExpectedVersion.NoStream, verdict, ids, date, context);
        var (_, session) = await queries.LoadSessionAsync(id, ct);
        return new ConveneSessionResponse { Session = Views.ToSession(session!) };
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
        var ids = new WriteIds(request.RequestId, "TableDraft|" + id);
        var (records, existing) = await queries.LoadDraftAsync(id, ct);
        if (existing is not null)
        {
            return ids.IsRetryIn(records) ? new TableDraftResponse { Draft = Views.ToDraft(existing) } : throw AlreadyExists("drafts/" + id);
        }

        var bodies = await queries.BodiesAsync(ct);
        var roster = await queries.RosterAsync(ct);
        var verdict = DraftDecide.Table(session, bodies[session.BodyId], bodies, roster, new TableDraft(id, request.Title, request.Payload, request.Procedural, request.EffectiveDate));
        await AppendAsync("decision-" + id, ExpectedVersion.NoStream, verdict, ids, session.Date, context);
        return new TableDraftResponse { Draft = Views.ToDraft((await queries.LoadDraftAsync(id, ct)).Draft!) };
    }

    public override async Task<GetDraftResponse> GetDraft(GetDraftRequest request, ServerCallContext context)
    {
        var (_, draft) = await DraftAsync(request.Name, "name", "drafts", context.CancellationToken);
        return new GetDraftResponse { Draft = Views.ToDraft(draft) };
    }

    public override async Task<ListDraftsResponse> ListDrafts(ListDraftsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var session = request.Session.Length == 0 ? null : Names.Parse(request.Session, "sessions", "session");
        var body = request.Body.Length == 0 ? null : Names.Parse(request.Body, "bodies", "body");
        var (after, size) = Page(request.PageToken, request.PageSize);
        var ids = await queries.DraftIdsAsync(session, body, request.Status, after, size + 1, ct);
        var response = new ListDraftsResponse();
        foreach (var (id, _) in ids.Take(size))
        {
            response.Drafts.Add(Views.ToDraft((await queries.LoadDraftAsync(id, ct)).Draft!));
        }

        response.NextPageToken = ids.Count > size ? ids[size - 1].Position.ToString(CultureInfo.InvariantCulture) : "";
        return response;
    }

    public override Task<RecordPositionResponse> RecordPosition(RecordPositionRequest request, ServerCallContext context)
    {
        return PositionActAsync(request.Draft, request.State, request.RequestId, "RecordPosition", context,
            (draft, roster) => DraftDecide.RecordPosition(draft, roster, request.State, request.Position),
            d => new RecordPositionResponse { Draft = d });
    }

    public override Task<ChangePositionResponse> ChangePosition(ChangePositionRequest request, ServerCallContext context)
    {
        return PositionActAsync(request.Draft, request.State, request.RequestId, "ChangePosition", context,
            (draft, roster) => DraftDecide.ChangePosition(draft, roster, request.State, request.Position),
            d => new ChangePositionResponse { Draft = d });
    }

    async Task<T> PositionActAsync<T>(string draftName, string state, string requestId, string method, ServerCallContext context, Func<DraftState, Roster.RosterHistory, Verdict> decide, Func<Draft, T> respond)
    {
        var ct = context.CancellationToken;
        var (records, draft) = await DraftAsync(draftName, "draft", "drafts", ct);
        var ids = new WriteIds(requestId, $"{method}|{draft.Id}|{state}");
        if (!ids.IsRetryIn(records))
        {
            var roster = await queries.RosterAsync(ct);
            await AppendAsync("decision-" + draft.Id, records.Count, decide(draft, roster), ids, draft.SessionDate, context);
        }

        return respond(Views.ToDraft((await queries.LoadDraftAsync(draft.Id, ct)).Draft!));
    }

    public override async Task<CloseDraftResponse> CloseDraft(CloseDraftRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (records, draft) = await DraftAsync(request.Draft, "draft", "drafts", ct);
        var ids = new WriteIds(request.RequestId, "CloseDraft|" + draft.Id);
        if (!ids.IsRetryIn(records))
        {
            var bodies = await queries.BodiesAsync(ct);
            var roster = await queries.RosterAsync(ct);
            var verdict = DraftDecide.Close(draft, bodies[draft.Tabled.BodyId], bodies, roster, new CloseDraft(request.Action, request.ExpectedCounts, request.Reason));
            await AppendAsync("decision-" + draft.Id, records.Count, verdict, ids, draft.EffectiveDate, context);
        }

        var closed = (await queries.LoadDraftAsync(draft.Id, ct)).Draft!;
        return new CloseDraftResponse { Draft = Views.ToDraft(closed), Decision = Views.ToDecision(closed) };
    }

    public override async Task<GetDecisionResponse> GetDecision(GetDecisionRequest request, ServerCallContext context)
    {
        var (_, draft) = await DraftAsync(request.Name, "name", "decisions", context.CancellationToken);
        return new GetDecisionResponse { Decision = Views.ToDecision(draft) ?? throw RpcErrors.NotFound(request.Name, $"{request.Name}: the draft was not adopted ({draft.Status})") };
    }

    public override async Task<ListDecisionsResponse> ListDecisions(ListDecisionsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var body = request.Body.Length == 0 ? null : Names.Parse(request.Body, "bodies", "body");
        var from = OptionalDate(request.FromDate, "from_date");
        var to = OptionalDate(request.ToDate, "to_date");
        if (request.BoundState.Length > 0 && !StateCodes.IsValid(request.BoundState))
        {
            throw RpcErrors.InvalidArgument("bound_state", "an ISO 3166-1 alpha-3 code is required");
        }

        if (!System.Enum.IsDefined(request.Kind))
        {
            throw RpcErrors.InvalidArgument("kind", "unknown kind");
        }

        var (after, size) = Page(request.PageToken, request.PageSize);
        var ids = await queries.DecisionIdsAsync(body, request.Kind, from, to, request.BoundState.Length == 0 ? null : request.BoundState, after, size + 1, ct);
        var response = new ListDecisionsResponse();
        foreach (var (id, _) in ids.Take(size))
        {
            response.Decisions.Add(Views.ToDecision((await queries.LoadDraftAsync(id, ct)).Draft!));
        }

        response.NextPageToken = ids.Count > size ? ids[size - 1].Position.ToString(CultureInfo.InvariantCulture) : "";
        return response;
    }

    public override async Task<JoinDecisionResponse> JoinDecision(JoinDecisionRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (records, draft) = await DraftAsync(request.Decision, "decision", "decisions", ct);
        var ids = new WriteIds(request.RequestId, $"JoinDecision|{draft.Id}|{request.State}");
        if (!ids.IsRetryIn(records))
        {
            var roster = await queries.RosterAsync(ct);
            var verdict = DraftDecide.Join(draft, roster, request.State, request.JoinedOn);
            await AppendAsync("decision-" + draft.Id, records.Count, verdict, ids, request.JoinedOn.IsValid() ? request.JoinedOn.ToDateOnly() : draft.EffectiveDate, context);
        }

        return new JoinDecisionResponse { Decision = Views.ToDecision((await queries.LoadDraftAsync(draft.Id, ct)).Draft!) };
    }

    public override async Task<GetChairResponse> GetChair(GetChairRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        // The chair of the CSC also chairs the statutory bodies: one rotation (domain.md, "Chairmanship in practice").
        _ = await BodyAsync(request.Body.Length == 0 ? "bodies/" + SessionDecide.Council : request.Body, "body", ct);
        var asOf = RequiredDate(request.AsOf, "as_of");
        var chair = Posts.Posts.ChairOn(await queries.ChairFactsAsync(SessionDecide.Council, ct), asOf)
            ?? throw RpcErrors.NotFound("chairs/" + SessionDecide.Council, $"no chair recorded on {asOf.ToIso()}");
        return new GetChairResponse { State = chair.State, Since = chair.FromDate, Basis = chair.Basis, Session = chair.Session, Decision = chair.Decision };
    }

    public override async Task<GetSecretaryGeneralResponse> GetSecretaryGeneral(GetSecretaryGeneralRequest request, ServerCallContext context)
    {
        var asOf = RequiredDate(request.AsOf, "as_of");
        var appointment = Posts.Posts.SecretaryGeneralOn(await queries.AppointmentsAsync(context.CancellationToken), asOf)
            ?? throw RpcErrors.NotFound("secretaryGeneral", $"no Secretary General appointed for {asOf.ToIso()}");
        return new GetSecretaryGeneralResponse { Appointment = appointment };
    }

    async Task AppendAsync(string stream, long expectedVersion, Verdict verdict, WriteIds ids, DateOnly effective, ServerCallContext context)
    {
        if (verdict.Rejection is { } rejection)
        {
            throw rejection switch
            {
                FieldViolation f => RpcErrors.InvalidArgument(f.Field, f.Description),
                RuleViolation r => RpcErrors.FailedPrecondition(r.Reason, r.Description),
                _ => new RpcException(new Grpc.Core.Status(StatusCode.Internal, rejection.Description)),
            };
        }

        var correlation = context.RequestHeaders.GetValue("x-correlation-id");
        var metadata = new EventMetadata
        {
            CorrelationId = string.IsNullOrEmpty(correlation) ? ids.RequestId ?? Guid.NewGuid().ToString() : correlation,
            CausationId = ids.RequestId ?? "",
            Actor = Actors.Of(context),
            Traceparent = context.RequestHeaders.GetValue("traceparent") ?? "",
            EffectiveTime = Dates.ToEffectiveTime(effective),
        };
        var events = verdict.Events.Select((e, i) => NewEvent.From(e, metadata, ids.EventId(i))).ToList();
        var result = await store.AppendAsync(new AppendRequest(stream, expectedVersion, events), context.CancellationToken);
        await queries.CatchUpAsync(result.LastPosition, context.CancellationToken);
    }

    async Task<BodyInfo> BodyAsync(string name, string field, CancellationToken ct)
    {
        var id = Names.Parse(name, "bodies", field);
        var bodies = await queries.BodiesAsync(ct);
        return bodies.TryGetValue(id, out var body) ? body : throw RpcErrors.NotFound(name, $"unknown body {name}");
    }

    async Task<SessionInfo> SessionAsync(string name, string field, CancellationToken ct)
    {
        var id = Names.Parse(name, "sessions", field);
        var (_, session) = await queries.LoadSessionAsync(id, ct);
        return session ?? throw RpcErrors.NotFound(name, $"unknown session {name}");
    }

    async Task<(IReadOnlyList<EventRecord> Records, DraftState Draft)> DraftAsync(string name, string field, string collection, CancellationToken ct)
    {
        var id = Names.Parse(name, collection, field);
        var (records, draft) = await queries.LoadDraftAsync(id, ct);
        return draft is null ? throw RpcErrors.NotFound(name, $"unknown {collection[..^1]} {name}") : (records, draft);
    }

    static string NewId(string requested, string field, string requestId, string kind)
    {
        if (requested.Length > 0)
        {
            return StateCodes.IsValidId(requested) ? requested : throw RpcErrors.InvalidArgument(field, "lower-case letters, digits and '-', up to 63");
        }

        return requestId.Length > 0 ? EventIds.FromName("bodies", $"{kind}|{requestId}").Replace("-", "", StringComparison.Ordinal)[..16] : Ids.NewId();
    }

    static DateOnly RequiredDate(Date? date, string field) =>
        date.IsValid() ? date!.ToDateOnly() : throw RpcErrors.InvalidArgument(field, "a valid date is required");

    static DateOnly? OptionalDate(Date? date, string field) =>
        date is null ? null : RequiredDate(date, field);

    static (long After, int Size) Page(string token, int pageSize)
    {
        if (pageSize < 0)
        {
            throw RpcErrors.InvalidArgument("page_size", "must not be negative");
        }

        long after = 0;
        if (token.Length > 0 && (!long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 0))
        {
            throw RpcErrors.InvalidArgument("page_token", "not a token from a previous response");
        }

        return (after, pageSize == 0 ? DefaultPageSize : Math.Min(pageSize, MaxPageSize));
    }

    static RpcException AlreadyExists(string resource) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.AlreadyExists,
            Message = $"{resource} exists already; a retry must repeat the request_id",
            Details = { Any.Pack(new ErrorInfo { Reason = "ALREADY_EXISTS", Domain = RpcErrors.Domain, Metadata = { ["resource"] = resource } }) },
        }.ToRpcException();
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
