using Csto.EventLog.Api;
using Csto.EventLog.Commands;
using RosterView = Csto.EventLog.Roster.RosterView;
using RosterQueries = Csto.EventLog.Roster.RosterQueries;
using Csto.Operations.Operations;
using Csto.Operations.Outcomes;
using Csto.Operations.Participants;
using Csto.Operations.Shared;
using Csto.Operations.Stages;
using Csto.Operations.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Csto.Operations.Api;

/// <summary>Thin methods: validate names, load, call the feature's decide function, append, answer.</summary>
public sealed class OperationsGrpcService(CommandPath commands, OperationQueries operations, RosterQueries roster, KgConversion conversion, TimeProvider clock) : OperationsService.OperationsServiceBase
{
    const int DefaultPageSize = 50;
    const int MaxPageSize = 500;

    public override async Task<GetOperationResponse> GetOperation(GetOperationRequest request, ServerCallContext context)
    {
        var op = await LoadAsync(OperationId(request.Name, "name"), context);
        return new GetOperationResponse { Operation = Mapping.ToApi(op, AsOf(request.AsOf, "as_of"), withReports: true, await RosterAsync(context)) };
    }

    public override async Task<ListOperationsResponse> ListOperations(ListOperationsRequest request, ServerCallContext context)
    {
        var asOf = AsOf(request.AsOf, "as_of");
        var size = PageTokens.Size(request.PageSize);
        var state = request.State.Length == 0 ? "" : StateCodes.Require(request.State, "state");
        var displayName = request.DisplayName.Trim();
        var query = $"operations|{asOf.ToIso()}|{(int)request.Kind}|{(int)request.Status}|{state}|{displayName.ToUpperInvariant()}";
        var after = PageTokens.After(request.PageToken, query);
        var matches = new List<OperationState>();
        var roster = await RosterAsync(context);
        foreach (var id in (await operations.OperationIdsAsync(context.CancellationToken)).Where(i => string.CompareOrdinal(i, after) > 0).Order(StringComparer.Ordinal))
        {
            var op = (await operations.LoadAsync(id, context.CancellationToken))!;
            if ((request.Kind == Common.V1.OperationKind.Unspecified || op.Kind == request.Kind)
                && (request.Status == OperationStatus.Unspecified || Mapping.StatusOn(op, asOf) == request.Status)
                && (displayName.Length == 0 || string.Equals(op.DisplayName, displayName, StringComparison.OrdinalIgnoreCase))
                && (request.State.Length == 0 || (op.Participants.TryGetValue(request.State, out var p) && Participation.RealPeriods(p, op, roster, asOf).Any(x => x.Covers(asOf)))))
            {
                matches.Add(op);
                if (matches.Count > size)
                {
                    break;
                }
            }
        }

        var response = new ListOperationsResponse();
        response.Operations.AddRange(matches.Take(size).Select(op => Mapping.ToApi(op, asOf, withReports: false, roster)));
        if (matches.Count > size)
        {
            response.NextPageToken = PageTokens.Next(query, matches[size - 1].Id);
        }

        return response;
    }

    public override async Task<JoinOperationResponse> JoinOperation(JoinOperationRequest request, ServerCallContext context)
    {
        var id = OperationId(request.Operation, "operation");
        var roster = await RosterAsync(context);
        var command = new JoinOperation(request.State, [.. request.Agencies], request.JoinDate);
        var (events, op) = await ExecuteAndFoldAsync(id, "join", request.RequestId, o => Participation.Join(o, roster, command), context);
        var joined = events.OfType<ParticipantJoined>().Single();
        return new JoinOperationResponse { Participant = Mapping.ToApi(op.Participants[joined.State], op, roster, Today) };
    }

    public override async Task<LeaveOperationResponse> LeaveOperation(LeaveOperationRequest request, ServerCallContext context)
    {
        var id = OperationId(request.Operation, "operation");
        var command = new LeaveOperation(request.State, request.LeftOn, request.Reason);
        var (events, op) = await ExecuteAndFoldAsync(id, "leave", request.RequestId, o => Participation.Leave(o, command), context);
        var left = events.OfType<ParticipantLeft>().Single();
        return new LeaveOperationResponse { Participant = Mapping.ToApi(op.Participants[left.State], op, await RosterAsync(context), Today) };
    }

    public override async Task<AdmitObserverResponse> AdmitObserver(AdmitObserverRequest request, ServerCallContext context)
    {
        var id = OperationId(request.Operation, "operation");
        var roster = await RosterAsync(context);
        var command = new AdmitObserver(request.Observer, request.Kind, request.AdmittedOn, request.Stage);
        var events = await ExecuteAsync(id, "observer", request.RequestId, op => Participation.Admit(op, roster, command), context);
        var admitted = events.OfType<ObserverAdmitted>().Single();
        return new AdmitObserverResponse { Observer = new Observer { Observer_ = admitted.Observer, Kind = admitted.Kind, AdmittedOn = admitted.AdmittedOn, Stage = admitted.Stage } };
    }

    public override async Task<StartStageResponse> StartStage(StartStageRequest request, ServerCallContext context)
    {
        var id = OperationId(request.Operation, "operation");
        var command = new StartStage(request.DisplayName, request.StartDate, request.EndDate);
        var events = await ExecuteAsync(id, "stage", request.RequestId, op => StageRules.Start(op, command), context);
        var started = events.OfType<StageStarted>().Single();
        return new StartStageResponse { Stage = new Stage { Name = started.Stage, DisplayName = started.DisplayName, StartDate = started.StartDate, EndDate = started.EndDate } };
    }

    public override async Task<CloseStageResponse> CloseStage(CloseStageRequest request, ServerCallContext context)
    {
        var (id, _) = Ids.ChildOf(request.Stage, "stages") ?? throw RpcErrors.InvalidArgument("stage", "resource name \"operations/{operation}/stages/{stage}\"");
        var (events, op) = await ExecuteAndFoldAsync(id, "close-stage", request.RequestId, o => StageRules.Close(o, new CloseStage(request.Stage)), context);
        return new CloseStageResponse
        {
            Stage = Mapping.ToApi(op.Stages[request.Stage]),
            Totals = events.OfType<OperationSummaryPublished>().Single().Totals,
        };
    }

    public override async Task<ReportOutcomeResponse> ReportOutcome(ReportOutcomeRequest request, ServerCallContext context)
    {
        var id = OperationId(request.Operation, "operation");
        var roster = await RosterAsync(context);
        var reportId = request.RequestId.Length > 0 ? Ids.Short("report/" + id + "/" + request.RequestId) : Guid.NewGuid().ToString("N")[..12];
        var command = new ReportOutcome(reportId, request.State, request.Stage, request.ReportDate, request.Figures);
        var (events, op) = await ExecuteAndFoldAsync(id, "report", request.RequestId, o => Reporting.Report(o, roster, conversion, command), context);
        var reported = events.OfType<OutcomeReported>().Single();
        var report = op.Reports[reported.Report];
        return new ReportOutcomeResponse { Report = Mapping.ToApi(report, report.Versions[0]) };
    }

    public override async Task<CorrectOutcomeResponse> CorrectOutcome(CorrectOutcomeRequest request, ServerCallContext context)
    {
        var (id, _) = Ids.ChildOf(request.Report, "reports") ?? throw RpcErrors.InvalidArgument("report", "resource name \"operations/{operation}/reports/{report}\"");
        var command = new CorrectOutcome(request.Report, request.State, request.CorrectedOn, request.Reason, request.Figures);
        var (events, op) = await ExecuteAndFoldAsync(id, "correct", request.RequestId, o => Reporting.Correct(o, conversion, command), context);
        var corrected = events.OfType<OutcomeCorrected>().Single();
        var report = op.Reports[corrected.Report];
        return new CorrectOutcomeResponse { Report = Mapping.ToApi(report, report.Versions[corrected.Version - 1]) };
    }

    public override async Task<RecordPublishedTotalsResponse> RecordPublishedTotals(RecordPublishedTotalsRequest request, ServerCallContext context)
    {
        var id = OperationId(request.Operation, "operation");
        var command = new RecordPublishedTotals(request.Stage, request.AsOf, request.FromDate, request.Figures, request.Description);
        var written = await WriteAsync(id, "published", request.RequestId, op => Publishing.Record(op, conversion, command), context);
        var eventId = written.EventIds[written.Events.ToList().FindIndex(e => e is PublishedTotalsRecorded)];
        var op = written.State!;
        return new RecordPublishedTotalsResponse { Published = TotalsCalculator.ToApi(op, op.Published.Single(p => p.EventId == eventId)) };
    }

    public override async Task<GetOperationTotalsResponse> GetOperationTotals(GetOperationTotalsRequest request, ServerCallContext context)
    {
        var op = await LoadAsync(OperationId(request.Operation, "operation"), context);
        var asOf = AsOf(request.AsOf, "as_of");
        if (request.Stage.Length > 0 && !op.Stages.ContainsKey(request.Stage))
        {
            throw RpcErrors.InvalidArgument("stage", $"{op.Name} has no stage '{request.Stage}'");
        }

        var from = Dates.Optional(request.FromDate, "from_date");
        if (from > asOf)
        {
            throw RpcErrors.InvalidArgument("from_date", $"after as_of ({asOf.ToIso()})");
        }

        return new GetOperationTotalsResponse { Totals = TotalsCalculator.Compute(op, asOf, request.Stage, from) };
    }

    /// <summary>An act on an existing operation through the command path; the events it appended (or, for a retry, appended first).</summary>
    async Task<IReadOnlyList<IMessage>> ExecuteAsync(string id, string scope, string requestId, Func<OperationState, Verdict> decide, ServerCallContext context) =>
        (await WriteAsync(id, scope, requestId, decide, context)).Events;

    /// <summary>
    /// The same, with the operation as the write left it (folded once by the command path from what it read and appended):
    /// the answer needs no second read of the operation's stream.
    /// </summary>
    async Task<(IReadOnlyList<IMessage> Events, OperationState Operation)> ExecuteAndFoldAsync(string id, string scope, string requestId, Func<OperationState, Verdict> decide, ServerCallContext context)
    {
        var written = await WriteAsync(id, scope, requestId, decide, context);
        return (written.Events, written.State ?? throw RpcErrors.NotFound(Ids.OperationName(id), $"no operation {Ids.OperationName(id)}"));
    }

    /// <summary>The same, with the ids of the events appended (or, for a retry, appended first).</summary>
    async Task<Written<OperationState?>> WriteAsync(string id, string scope, string requestId, Func<OperationState, Verdict> decide, ServerCallContext context)
    {
        return await commands.ExecuteAsync(
            new Command<OperationState?>(Ids.StreamOf(id), OperationEvents.Fold, op => op is null ? Verdict.Rule("OPERATION_NOT_OPENED", $"{Ids.OperationName(id)} was never opened") : decide(op))
            {
                Scope = scope, RequestId = requestId, Expect = StreamExpectation.Existing, Resource = Ids.OperationName(id), EffectiveDateOf = OperationEvents.EffectiveDate,
                FoldFrom = OperationEvents.FoldFrom,
            }, context.CancellationToken);
    }

    async Task<OperationState> LoadAsync(string id, ServerCallContext context) =>
        await operations.LoadAsync(id, context.CancellationToken)
        ?? throw RpcErrors.NotFound(Ids.OperationName(id), $"no operation {Ids.OperationName(id)}");

    Task<RosterView> RosterAsync(ServerCallContext context) => roster.LoadAsync(context.CancellationToken);

    static string OperationId(string name, string field) =>
        Ids.OperationIdOf(name) is { } id && name.Count(c => c == '/') == 1 ? id : throw RpcErrors.InvalidArgument(field, "resource name \"operations/{operation}\", e.g. operations/channel");

    DateOnly AsOf(Common.V1.Date? date, string field) => Dates.Optional(date, field) ?? Today;

    DateOnly Today => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
}
