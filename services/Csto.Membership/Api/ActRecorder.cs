using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Api;
using Csto.EventLog.Security;
using Csto.EventLog.V1;
using Csto.Membership.Members;
using Grpc.Core;

namespace Csto.Membership.Api;

/// <summary>A write as it arrives: the act, its fields as sent, and the idempotency key.</summary>
public sealed record ActRequest(MemberAct Act, string State, Date? EffectiveDate, Cause? Cause, string RequestId)
{
    public Date? TakesEffectOn { get; init; }

    public string Grounds { get; init; } = "";
}

public sealed record ActResult(V1.MemberState MemberState, IReadOnlyList<string> EventIds);

/// <summary>Load the party, decide, append: the three steps every write method takes.</summary>
public sealed class ActRecorder(MemberLog log, IActorAccessor actors)
{
    const int MaxRequestIdLength = 128;

    public async Task<ActResult> RecordAsync(ActRequest request, CancellationToken cancellationToken)
    {
        var command = ToCommand(request);
        var member = await log.LoadAsync(request.State, cancellationToken);

        var key = "request:" + request.RequestId;
        string Id(int i) => request.RequestId.Length > 0 ? EventIds.FromName("membership", key, i) : Guid.NewGuid().ToString();
        if (request.RequestId.Length > 0 && AlreadyRecorded(member, key) is { } earlier)
        {
            // a retry (AIP-155): answer as the first call did
            return earlier;
        }

        var result = MemberDecider.Decide(member.State, command);
        if (result.Violation is { } violation)
        {
            throw ToRpc(violation, request.State);
        }

        if (result.Events.Count == 0)
        {
            return new ActResult(MemberStateView.Build(member, ActDate(member.State, command)), IdsCausedBy(member, request.Cause));
        }

        var metadata = new EventMetadata
        {
            CorrelationId = request.RequestId.Length > 0 ? request.RequestId : Guid.NewGuid().ToString(),
            CausationId = request.RequestId.Length > 0 ? "request:" + request.RequestId : "",
            Actor = actors.Current ?? throw new InvalidOperationException("an API write without an authenticated caller"),
        };
        var append = MemberLog.ToAppend(member.State, result.Events, Id, metadata);
        try
        {
            await log.AppendAsync(append, cancellationToken);
        }
        catch (InvalidAppendException ex) when (request.RequestId.Length > 0)
        {
            throw RpcErrors.InvalidArgument("request_id", "request_id was already used for another request: " + ex.Message);
        }

        var after = await log.LoadAsync(request.State, cancellationToken);
        return new ActResult(MemberStateView.Build(after, ActDate(after.State, command)), [.. append.Events.Select(e => e.EventId)]);
    }

    /// <summary>The command from the request fields; INVALID_ARGUMENT for fields that are wrong whatever the state.</summary>
    public static MemberCommand ToCommand(ActRequest request)
    {
        if (request.RequestId.Length > MaxRequestIdLength)
        {
            throw RpcErrors.InvalidArgument("request_id", $"at most {MaxRequestIdLength} characters");
        }

        var organizationAllowed = request.Act is MemberAct.ObserverGranted or MemberAct.ObserverEnded or MemberAct.PartnerGranted or MemberAct.PartnerEnded;
        if (Parties.Problem(request.State, organizationAllowed) is { } problem)
        {
            throw RpcErrors.InvalidArgument("state", problem);
        }

        var date = ProtoDates.Parse(request.EffectiveDate, "effective_date", out var dateProblem);
        var takesEffect = ProtoDates.Parse(request.TakesEffectOn, "takes_effect_on", out var takesEffectProblem);
        if ((dateProblem ?? takesEffectProblem) is { } invalid)
        {
            throw ToRpc(invalid, request.State);
        }

        return new MemberCommand(request.State, request.Act, date, request.Cause) { TakesEffectOn = takesEffect, Grounds = request.Grounds };
    }

    public static RpcException ToRpc(RuleViolation violation, string state)
    {
        return violation.Kind == ViolationKind.InvalidArgument
            ? RpcErrors.InvalidArgument(violation.Subject, violation.Message)
            : RpcErrors.FailedPrecondition(violation.Subject, violation.Message, new Dictionary<string, string>(StringComparer.Ordinal) { ["state"] = state });
    }

    static ActResult? AlreadyRecorded(LoadedMember member, string key)
    {
        var at = member.Records.ToList().FindIndex(r => string.Equals(r.EventId, EventIds.FromName("membership", key, 0), StringComparison.Ordinal));
        if (at < 0)
        {
            return null;
        }

        var ids = new List<string>();
        for (var i = at; i < member.Records.Count && string.Equals(member.Records[i].EventId, EventIds.FromName("membership", key, i - at), StringComparison.Ordinal); i++)
        {
            ids.Add(member.Records[i].EventId);
        }

        var date = EventFields.EffectiveDate(member.Events[at]) is { } d ? ProtoDates.ToDateOnly(d) : DateOnly.MinValue;
        return new ActResult(MemberStateView.Build(member, date), ids);
    }

    static List<string> IdsCausedBy(LoadedMember member, Cause? cause) =>
        [.. member.Records.Where((_, i) => cause is not null && cause.Equals(EventFields.Cause(member.Events[i]))).Select(r => r.EventId)];

    static DateOnly ActDate(PartyState state, MemberCommand command) =>
        command.EffectiveDate
        ?? (command.Cause?.KindCase == Cause.KindOneofCase.Decision && state.Decisions.TryGetValue(command.Cause.Decision, out var d) ? d.EffectiveDate : DateOnly.FromDateTime(DateTime.UtcNow));
}
