using Csto.Common.V1;
using Csto.EventLog.Api;
using Csto.EventLog.Commands;
using Csto.Kernel;
using Csto.Membership.Members;
using Csto.Membership.Roster;
using Csto.Membership.V1;
using Grpc.Core;

namespace Csto.Membership.Api;

/// <summary>csto.membership.v1.MembershipService: every write is one act through the command path.</summary>
public sealed class MembershipGrpcService(CommandPath commands, MemberLog log, MembershipQueries queries, TimeProvider clock) : MembershipService.MembershipServiceBase
{
    public override async Task<GetMemberStateResponse> GetMemberState(GetMemberStateRequest request, ServerCallContext context)
    {
        if (Parties.Problem(request.State, "state", organizationAllowed: true) is { } problem)
        {
            throw RpcErrors.From(problem);
        }

        var asOf = AsOf(request.AsOf);
        var view = MemberStates.ViewOf(request.View);
        var member = await log.LoadAsync(request.State, context.CancellationToken);
        return member.Records.Count == 0
            ? throw RpcErrors.NotFound("members/" + request.State, $"nothing is recorded about {request.State}")
            : new GetMemberStateResponse { MemberState = MemberStates.Build(member, asOf, view) };
    }

    public override async Task<ListMemberStatesResponse> ListMemberStates(ListMemberStatesRequest request, ServerCallContext context)
    {
        var asOf = AsOf(request.AsOf);
        var size = PageTokens.Size(request.PageSize);
        if (request.Statuses.Any(s => !Enum.IsDefined(s)))
        {
            throw RpcErrors.InvalidArgument("statuses", "unknown status");
        }

        var query = $"{asOf.ToIso()}|{string.Join(",", request.Statuses.Select(s => (int)s))}";
        var after = PageTokens.After(request.PageToken, query);
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
        var asOf = AsOf(request.AsOf);
        MemberStatus[] statuses = request.IncludeObserversAndPartners
            ? [MemberStatus.Signatory, MemberStatus.Member, MemberStatus.Suspended, MemberStatus.Frozen, MemberStatus.Observer, MemberStatus.Partner]
            : [MemberStatus.Signatory, MemberStatus.Member, MemberStatus.Suspended, MemberStatus.Frozen];
        var rows = await queries.StatusesAsync(asOf, statuses, "", int.MaxValue, context.CancellationToken);
        return new GetRosterResponse { AsOf = asOf.ToProto(), Entries = { rows } };
    }

    public override async Task<RecordSignatureResponse> RecordSignature(RecordSignatureRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.Signature, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context);
        return new RecordSignatureResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<RecordEntryIntoForceResponse> RecordEntryIntoForce(RecordEntryIntoForceRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.EntryIntoForce, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context);
        return new RecordEntryIntoForceResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<RecordAccessionResponse> RecordAccession(RecordAccessionRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.Accession, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context);
        return new RecordAccessionResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<SuspendParticipationResponse> SuspendParticipation(SuspendParticipationRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.Suspension, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context, grounds: request.Grounds);
        return new SuspendParticipationResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<RestoreParticipationResponse> RestoreParticipation(RestoreParticipationRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.Restoration, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context);
        return new RestoreParticipationResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<FreezeParticipationResponse> FreezeParticipation(FreezeParticipationRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.Freeze, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context);
        return new FreezeParticipationResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<UnfreezeParticipationResponse> UnfreezeParticipation(UnfreezeParticipationRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.Unfreeze, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context);
        return new UnfreezeParticipationResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<NotifyWithdrawalResponse> NotifyWithdrawal(NotifyWithdrawalRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.WithdrawalNotice, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context, takesEffectOn: request.TakesEffectOn);
        return new NotifyWithdrawalResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<RecordTermEndResponse> RecordTermEnd(RecordTermEndRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.TermEnd, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context);
        return new RecordTermEndResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<ExcludeMemberResponse> ExcludeMember(ExcludeMemberRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.Exclusion, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context, grounds: request.Grounds);
        return new ExcludeMemberResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<GrantObserverStatusResponse> GrantObserverStatus(GrantObserverStatusRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.ObserverGranted, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context);
        return new GrantObserverStatusResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<EndObserverStatusResponse> EndObserverStatus(EndObserverStatusRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.ObserverEnded, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context);
        return new EndObserverStatusResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<GrantPartnerStatusResponse> GrantPartnerStatus(GrantPartnerStatusRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.PartnerGranted, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context);
        return new GrantPartnerStatusResponse { MemberState = state, EventIds = { ids } };
    }

    public override async Task<EndPartnerStatusResponse> EndPartnerStatus(EndPartnerStatusRequest request, ServerCallContext context)
    {
        var (state, ids) = await ActAsync(MemberAct.PartnerEnded, request.State, request.EffectiveDate, request.Cause, request.RequestId, request.View, context);
        return new EndPartnerStatusResponse { MemberState = state, EventIds = { ids } };
    }

    /// <summary>One act about a party: the command path folds "member-{party}", decides and appends.</summary>
    async Task<(V1.MemberState State, IReadOnlyList<string> EventIds)> ActAsync(
        MemberAct act, string party, Date? effectiveDate, Cause? cause, string requestId, MemberStateView view, ServerCallContext context, string grounds = "", Date? takesEffectOn = null)
    {
        view = MemberStates.ViewOf(view);
        if (Parties.Problem(party, "state", Parties.OrganizationMayBe(act)) is { } problem)
        {
            throw RpcErrors.From(problem);
        }

        var command = new MemberCommand(party, act, Dates.Optional(effectiveDate, "effective_date"), cause)
        {
            TakesEffectOn = Dates.Optional(takesEffectOn, "takes_effect_on"),
            Grounds = grounds,
        };
        var written = await commands.ExecuteAsync(
            new Command<LoadedMember>(Parties.StreamId(party), MemberLog.Fold(party), member => MemberDecider.Decide(member.State, command))
            {
                Scope = act.ToString(),
                RequestId = requestId,
                FoldFrom = MemberLog.FoldFrom,
            },
            context.CancellationToken);
        var member = written.State;
        // nothing new (a decision's act the consumer recorded first): answer with the events that cause recorded
        IReadOnlyList<string> ids = written.EventIds.Count > 0
            ? written.EventIds
            : [.. member.Records.Where((_, i) => cause is not null && cause.Equals(EventFields.Cause(member.Events[i]))).Select(r => r.EventId)];
        return (MemberStates.Build(member, ActDate(member.State, command), view), ids);
    }

    DateOnly ActDate(PartyState state, MemberCommand command) =>
        command.EffectiveDate
        ?? (command.Cause?.KindCase == Cause.KindOneofCase.Decision && state.Decisions.TryGetValue(command.Cause.Decision, out var d) ? d.EffectiveDate : Today);

    DateOnly Today => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    DateOnly AsOf(Date? date) => Dates.Optional(date, "as_of") ?? Today;
}
