using Csto.EventLog.Api;
using Csto.Membership.Members;
using Csto.Membership.Roster;
using Csto.Membership.V1;
using Grpc.Core;

namespace Csto.Membership.Api;

/// <summary>csto.membership.v1.MembershipService: each method maps the request, then one call does the work.</summary>
public sealed class MembershipGrpcService(ActRecorder recorder, MemberLog log, MembershipQueries queries, TimeProvider clock) : MembershipService.MembershipServiceBase
{
    const int DefaultPageSize = 50;
    const int MaxPageSize = 500;

    public override async Task<GetMemberStateResponse> GetMemberState(GetMemberStateRequest request, ServerCallContext context)
    {
        if (Parties.Problem(request.State, organizationAllowed: true) is { } problem)
        {
            throw RpcErrors.InvalidArgument("state", problem);
        }

        var asOf = AsOf(request.AsOf, "as_of");
        var member = await log.LoadAsync(request.State, context.CancellationToken);
        return member.Records.Count == 0
            ? throw RpcErrors.NotFound("members/" + request.State, $"nothing is recorded about {request.State}")
            : new GetMemberStateResponse { MemberState = MemberStateView.Build(member, asOf) };
    }

    public override async Task<ListMemberStatesResponse> ListMemberStates(ListMemberStatesRequest request, ServerCallContext context)
    {
        var asOf = AsOf(request.AsOf, "as_of");
        if (request.PageSize < 0)
        {
            throw RpcErrors.InvalidArgument("page_size", "must not be negative");
        }

        if (request.Statuses.Any(s => !Enum.IsDefined(s)))
        {
            throw RpcErrors.InvalidArgument("statuses", "unknown status");
        }

        var size = request.PageSize == 0 ? DefaultPageSize : Math.Min(request.PageSize, MaxPageSize);
        var query = $"{asOf:yyyy-MM-dd}|{string.Join(",", request.Statuses.Select(s => (int)s))}";
        var after = PageTokens.After(request.PageToken, query) ?? throw RpcErrors.InvalidArgument("page_token", "not a token of this query (as_of and statuses must not change between pages)");
        var rows = await queries.StatusesAsync(asOf, [.. request.Statuses], after, size + 1, context.CancellationToken);
        var response = new ListMemberStatesResponse { MemberStates = { rows.Take(size) } };
        if (rows.Count > size)
        {
            response.NextPageToken = PageTokens.Next(query, rows[size - 1].State);
        }

        return response;
    }

    public override async Task<GetRosterResponse> GetRoster(GetRosterRequest request, ServerCallContext context)
    {
        var asOf = AsOf(request.AsOf, "as_of");
        MemberStatus[] statuses = request.IncludeObserversAndPartners
            ? [MemberStatus.Signatory, MemberStatus.Member, MemberStatus.Suspended, MemberStatus.Frozen, MemberStatus.Observer, MemberStatus.Partner]
            : [MemberStatus.Signatory, MemberStatus.Member, MemberStatus.Suspended, MemberStatus.Frozen];
        var rows = await queries.StatusesAsync(asOf, statuses, "", int.MaxValue, context.CancellationToken);
        return new GetRosterResponse { AsOf = ProtoDates.ToProto(asOf), Entries = { rows } };
    }

    public override async Task<RecordSignatureResponse> RecordSignature(RecordSignatureRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.Signature, request.State, request.EffectiveDate, request.Cause, request.RequestId), context.CancellationToken);
        return new RecordSignatureResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<RecordEntryIntoForceResponse> RecordEntryIntoForce(RecordEntryIntoForceRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.EntryIntoForce, request.State, request.EffectiveDate, request.Cause, request.RequestId), context.CancellationToken);
        return new RecordEntryIntoForceResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<RecordAccessionResponse> RecordAccession(RecordAccessionRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.Accession, request.State, request.EffectiveDate, request.Cause, request.RequestId), context.CancellationToken);
        return new RecordAccessionResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<SuspendParticipationResponse> SuspendParticipation(SuspendParticipationRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.Suspension, request.State, request.EffectiveDate, request.Cause, request.RequestId) { Grounds = request.Grounds }, context.CancellationToken);
        return new SuspendParticipationResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<RestoreParticipationResponse> RestoreParticipation(RestoreParticipationRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.Restoration, request.State, request.EffectiveDate, request.Cause, request.RequestId), context.CancellationToken);
        return new RestoreParticipationResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<FreezeParticipationResponse> FreezeParticipation(FreezeParticipationRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.Freeze, request.State, request.EffectiveDate, request.Cause, request.RequestId), context.CancellationToken);
        return new FreezeParticipationResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<UnfreezeParticipationResponse> UnfreezeParticipation(UnfreezeParticipationRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.Unfreeze, request.State, request.EffectiveDate, request.Cause, request.RequestId), context.CancellationToken);
        return new UnfreezeParticipationResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<NotifyWithdrawalResponse> NotifyWithdrawal(NotifyWithdrawalRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.WithdrawalNotice, request.State, request.EffectiveDate, request.Cause, request.RequestId) { TakesEffectOn = request.TakesEffectOn }, context.CancellationToken);
        return new NotifyWithdrawalResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<RecordTermEndResponse> RecordTermEnd(RecordTermEndRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.TermEnd, request.State, request.EffectiveDate, request.Cause, request.RequestId), context.CancellationToken);
        return new RecordTermEndResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<ExcludeMemberResponse> ExcludeMember(ExcludeMemberRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.Exclusion, request.State, request.EffectiveDate, request.Cause, request.RequestId) { Grounds = request.Grounds }, context.CancellationToken);
        return new ExcludeMemberResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<GrantObserverStatusResponse> GrantObserverStatus(GrantObserverStatusRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.ObserverGranted, request.State, request.EffectiveDate, request.Cause, request.RequestId), context.CancellationToken);
        return new GrantObserverStatusResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<EndObserverStatusResponse> EndObserverStatus(EndObserverStatusRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.ObserverEnded, request.State, request.EffectiveDate, request.Cause, request.RequestId), context.CancellationToken);
        return new EndObserverStatusResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<GrantPartnerStatusResponse> GrantPartnerStatus(GrantPartnerStatusRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.PartnerGranted, request.State, request.EffectiveDate, request.Cause, request.RequestId), context.CancellationToken);
        return new GrantPartnerStatusResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    public override async Task<EndPartnerStatusResponse> EndPartnerStatus(EndPartnerStatusRequest request, ServerCallContext context)
    {
        var result = await recorder.RecordAsync(new ActRequest(MemberAct.PartnerEnded, request.State, request.EffectiveDate, request.Cause, request.RequestId), context.CancellationToken);
        return new EndPartnerStatusResponse { MemberState = result.MemberState, EventIds = { result.EventIds } };
    }

    DateOnly AsOf(Csto.Common.V1.Date? date, string field)
    {
        var parsed = ProtoDates.Parse(date, field, out var problem);
        return problem is not null
            ? throw RpcErrors.InvalidArgument(problem.Subject, problem.Message)
            : parsed ?? DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
    }
}
