using Csto.Bodies.V1;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Operations.V1;
using Csto.Testing;
using Grpc.Core;
using Xunit;

namespace Csto.Security.Tests;

/// <summary>
/// Every write method of every service, called with every role, for the caller's own state and for another:
/// the exact status, and the log head unchanged when refused. The expected rows are written out here from the
/// issue, independently of <see cref="AccessTables"/>. Requests name entities that do not exist (or carry an
/// over-long request_id), so an allowed call fails in validation with a known code: what matters is that the
/// role check runs first and a refused call never reaches the log.
/// </summary>
public sealed class RoleTableTests(SecureSuite suite) : IClassFixture<SecureSuite>
{
    const string Own = "KAZ";
    const string Other = "ARM";
    static readonly string LongRequestId = new('r', 200);

    /// <summary>(service, method, who may call it, what an allowed caller gets, the call acting for a state).</summary>
    public sealed record Write(string Service, string Method, string[] Allowed, StatusCode AllowedCode, Func<CallInvoker, string, Task> Call)
    {
        public override string ToString() => Service + "." + Method;
    }

    /// <summary>"delegate:own" means a delegate acting for the state of its token.</summary>
    static readonly Write[] Writes =
    [
        // membership: acts of the Secretariat; a state's own notices by its delegate
        new("membership", "RecordSignature", ["secretariat"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).RecordSignatureAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "RecordEntryIntoForce", ["secretariat"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).RecordEntryIntoForceAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "RecordAccession", ["secretariat"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).RecordAccessionAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "RecordTermEnd", ["secretariat"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).RecordTermEndAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "SuspendParticipation", ["secretariat"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).SuspendParticipationAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "RestoreParticipation", ["secretariat"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).RestoreParticipationAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "ExcludeMember", ["secretariat"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).ExcludeMemberAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "GrantObserverStatus", ["secretariat"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).GrantObserverStatusAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "EndObserverStatus", ["secretariat"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).EndObserverStatusAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "GrantPartnerStatus", ["secretariat"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).GrantPartnerStatusAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "EndPartnerStatus", ["secretariat"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).EndPartnerStatusAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "FreezeParticipation", ["delegate:own"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).FreezeParticipationAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "UnfreezeParticipation", ["delegate:own"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).UnfreezeParticipationAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),
        new("membership", "NotifyWithdrawal", ["delegate:own"], StatusCode.InvalidArgument, (c, s) => new MembershipService.MembershipServiceClient(c).NotifyWithdrawalAsync(new() { State = s, RequestId = LongRequestId }).ResponseAsync),

        // bodies: sessions and drafts by the Secretariat; positions and joining by the state's delegate
        new("bodies", "ConveneSession", ["secretariat"], StatusCode.NotFound, (c, s) => new BodiesService.BodiesServiceClient(c).ConveneSessionAsync(new() { Body = "bodies/nope", HostState = s }).ResponseAsync),
        new("bodies", "TableDraft", ["secretariat"], StatusCode.NotFound, (c, s) => new BodiesService.BodiesServiceClient(c).TableDraftAsync(new() { Session = "sessions/nope", Title = s }).ResponseAsync),
        new("bodies", "CloseDraft", ["secretariat"], StatusCode.NotFound, (c, s) => new BodiesService.BodiesServiceClient(c).CloseDraftAsync(new() { Draft = "drafts/nope", Reason = s }).ResponseAsync),
        new("bodies", "RecordPosition", ["delegate:own"], StatusCode.NotFound, (c, s) => new BodiesService.BodiesServiceClient(c).RecordPositionAsync(new() { Draft = "drafts/nope", State = s, Position = Position.Support }).ResponseAsync),
        new("bodies", "ChangePosition", ["delegate:own"], StatusCode.NotFound, (c, s) => new BodiesService.BodiesServiceClient(c).ChangePositionAsync(new() { Draft = "drafts/nope", State = s, Position = Position.Object }).ResponseAsync),
        new("bodies", "JoinDecision", ["delegate:own"], StatusCode.NotFound, (c, s) => new BodiesService.BodiesServiceClient(c).JoinDecisionAsync(new() { Decision = "decisions/nope", State = s }).ResponseAsync),
        new("bodies", "AdmitBodyObserver", ["secretariat"], StatusCode.NotFound, (c, s) => new BodiesService.BodiesServiceClient(c).AdmitBodyObserverAsync(new() { Body = "bodies/nope", Observer = s }).ResponseAsync),
        new("bodies", "EndBodyObserver", ["secretariat"], StatusCode.NotFound, (c, s) => new BodiesService.BodiesServiceClient(c).EndBodyObserverAsync(new() { Body = "bodies/nope", Observer = s }).ResponseAsync),
        new("bodies", "RecordExternalRelation", ["secretariat"], StatusCode.InvalidArgument, (c, s) => new BodiesService.BodiesServiceClient(c).RecordExternalRelationAsync(new() { Counterpart = s, RequestId = LongRequestId }).ResponseAsync),

        // operations: running it by the Secretariat; joining and figures by the state's reporter
        new("operations", "AdmitObserver", ["secretariat"], StatusCode.NotFound, (c, s) => new OperationsService.OperationsServiceClient(c).AdmitObserverAsync(new() { Operation = "operations/nope", Observer = s }).ResponseAsync),
        new("operations", "StartStage", ["secretariat"], StatusCode.NotFound, (c, s) => new OperationsService.OperationsServiceClient(c).StartStageAsync(new() { Operation = "operations/nope", DisplayName = s }).ResponseAsync),
        new("operations", "CloseStage", ["secretariat"], StatusCode.NotFound, (c, s) => new OperationsService.OperationsServiceClient(c).CloseStageAsync(new() { Stage = "operations/nope/stages/first", RequestId = s }).ResponseAsync),
        new("operations", "JoinOperation", ["reporter:own"], StatusCode.NotFound, (c, s) => new OperationsService.OperationsServiceClient(c).JoinOperationAsync(new() { Operation = "operations/nope", State = s }).ResponseAsync),
        new("operations", "ReportOutcome", ["reporter:own"], StatusCode.NotFound, (c, s) => new OperationsService.OperationsServiceClient(c).ReportOutcomeAsync(new() { Operation = "operations/nope", State = s }).ResponseAsync),
        new("operations", "CorrectOutcome", ["reporter:own"], StatusCode.NotFound, (c, s) => new OperationsService.OperationsServiceClient(c).CorrectOutcomeAsync(new() { Report = "operations/nope/reports/first", State = s, Reason = "typo" }).ResponseAsync),
        new("operations", "LeaveOperation", ["reporter:own"], StatusCode.NotFound, (c, s) => new OperationsService.OperationsServiceClient(c).LeaveOperationAsync(new() { Operation = "operations/nope", State = s }).ResponseAsync),
        // a source's figures for the whole operation act for no one state: the Secretariat or any reporter
        new("operations", "RecordPublishedTotals", ["secretariat", "reporter:own", "reporter:other"], StatusCode.NotFound, (c, s) => new OperationsService.OperationsServiceClient(c).RecordPublishedTotalsAsync(new() { Operation = "operations/nope", Description = s }).ResponseAsync),

        // the event log of every service: operator only
        .. new[] { "membership", "bodies", "operations" }.SelectMany(service => new Write[]
        {
            new(service, "Republish", ["operator"], StatusCode.InvalidArgument, (c, _) => new EventLogService.EventLogServiceClient(c).RepublishAsync(new() { FromPosition = 0, ToPosition = 0 }).ResponseAsync),
            new(service, "RebuildProjections", ["operator"], StatusCode.InvalidArgument, (c, _) => new EventLogService.EventLogServiceClient(c).RebuildProjectionsAsync(new() { Names = { "nope" } }).ResponseAsync),
            new(service, "ListErrors", ["operator"], StatusCode.InvalidArgument, (c, _) => new EventLogService.EventLogServiceClient(c).ListErrorsAsync(new() { MaxMessages = -1 }).ResponseAsync),
            new(service, "RedriveErrors", ["operator"], StatusCode.InvalidArgument, (c, _) => new EventLogService.EventLogServiceClient(c).RedriveErrorsAsync(new() { MaxMessages = -1 }).ResponseAsync),
            new(service, "PurgeErrors", ["operator"], StatusCode.InvalidArgument, (c, _) => new EventLogService.EventLogServiceClient(c).PurgeErrorsAsync(new() { Queue = "nope" }).ResponseAsync),
        }),
    ];

    /// <summary>Each role; delegate and reporter once for the requested state and once for another.</summary>
    static readonly (string Name, string Role, string? TokenState)[] Callers =
    [
        ("reader", Roles.Reader, null),
        ("secretariat", Roles.Secretariat, null),
        ("operator", Roles.Operator, null),
        ("delegate:own", Roles.Delegate, Own),
        ("delegate:other", Roles.Delegate, Other),
        ("reporter:own", Roles.Reporter, Own),
        ("reporter:other", Roles.Reporter, Other),
    ];

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var write in Writes)
        {
            foreach (var caller in Callers)
            {
                data.Add(write.Service, write.Method, caller.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_write_answers_each_role_exactly_and_a_refused_call_appends_nothing(string service, string method, string callerName)
    {
        var write = Writes.Single(w => w.Service == service && w.Method == method);
        var caller = Callers.Single(c => c.Name == callerName);
        var host = suite[write.Service];
        var before = SecureSuite.Head(host);

        var ex = await Assert.ThrowsAsync<RpcException>(() => write.Call(host.ChannelFor(caller.Role, caller.TokenState), Own));

        var expected = write.Allowed.Contains(callerName) ? write.AllowedCode : StatusCode.PermissionDenied;
        Assert.True(expected == ex.StatusCode, $"{write} as {callerName}: expected {expected}, got {ex.StatusCode} ({ex.Status.Detail})");
        Assert.Equal(before, SecureSuite.Head(host));
    }

    [Fact]
    public void Every_method_of_every_service_is_in_the_access_table_and_every_write_in_this_test()
    {
        var writes = Writes.Select(w => w.Method).ToHashSet(StringComparer.Ordinal);
        foreach (var table in AccessTables.All)
        {
            Assert.Equal(table.Service.Methods.Count, table.Rules.Count);
            foreach (var (path, rule) in table.Rules)
            {
                var isRead = rule.Roles.SetEquals(Roles.All);
                Assert.True(isRead || writes.Contains(path[(path.LastIndexOf('/') + 1)..]), $"{path} is a write the table-driven test does not call");
            }
        }
    }

    [Theory]
    [InlineData("reader")]
    [InlineData("secretariat")]
    [InlineData("operator")]
    [InlineData("delegate")]
    [InlineData("reporter")]
    public async Task Every_role_may_read_every_service_and_its_log(string role)
    {
        var state = Roles.IsStateBound(role) ? Other : null;
        foreach (var service in new[] { "membership", "bodies", "operations" })
        {
            var info = await new EventLogService.EventLogServiceClient(suite[service].ChannelFor(role, state)).GetLogInfoAsync(new GetLogInfoRequest());
            Assert.Equal(service, info.Service);
        }

        await new MembershipService.MembershipServiceClient(suite["membership"].ChannelFor(role, state)).GetRosterAsync(new GetRosterRequest());
        await new BodiesService.BodiesServiceClient(suite["bodies"].ChannelFor(role, state)).ListBodiesAsync(new ListBodiesRequest());
        await new OperationsService.OperationsServiceClient(suite["operations"].ChannelFor(role, state)).ListOperationsAsync(new ListOperationsRequest());
    }

    [Fact]
    public async Task A_delegate_acting_for_no_state_is_refused()
    {
        var host = suite["bodies"];
        var before = SecureSuite.Head(host);
        var ex = await Assert.ThrowsAsync<RpcException>(() => new BodiesService.BodiesServiceClient(host.ChannelFor(Roles.Delegate, Own)).RecordPositionAsync(new() { Draft = "drafts/nope", State = "" }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(before, SecureSuite.Head(host));
    }
}
