using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Hosting;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Operations.V1;
using Csto.Testing;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Csto.Operations.Tests.Given;

namespace Csto.Operations.Tests;

[CollectionDefinition("broker")]
public sealed class BrokerCollection : ICollectionFixture<RabbitMqFixture>;

/// <summary>
/// The operations service on real Kestrel and a real RabbitMQ, with "bodies" and "membership" hosts that only
/// run their event logs: what they append is published by their relays and reaches operations over the broker.
/// </summary>
[Collection("broker")]
public sealed class ChannelOverBrokerTests(RabbitMqFixture broker) : IAsyncLifetime
{
    readonly TempDir _dir = new();
    ServiceHost _operations = null!;
    ServiceHost _bodies = null!;
    ServiceHost _membership = null!;
    IEventStore _log = null!;
    OperationsService.OperationsServiceClient _client = null!;
    string _decisionEventId = "";

    public async Task InitializeAsync()
    {
        var url = await broker.NewVirtualHostUrlAsync();
        _operations = await ServiceHost.StartAsync("operations", url, _dir.Path, b =>
        {
            OperationsHost.Configure(b);
            b.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true); // the queue is bound before the others publish
        }, OperationsHost.Map, new Dictionary<string, string?> { ["Operations:AutoClose"] = "false" });
        _bodies = await ServiceHost.StartAsync("bodies", url, _dir.Path, b => b.AddEventLog("bodies"), app => app.MapEventLog());
        _membership = await ServiceHost.StartAsync("membership", url, _dir.Path, b => b.AddEventLog("membership"), app => app.MapEventLog());
        _log = _operations.Services.GetRequiredService<IEventStore>();
        _client = new OperationsService.OperationsServiceClient(_operations.Channel);
    }

    public async Task DisposeAsync()
    {
        await _operations.DisposeAsync();
        await _bodies.DisposeAsync();
        await _membership.DisposeAsync();
        _dir.Dispose();
    }

    async Task GivenMembersAsync(params (string State, MemberStatus Status, string Day)[] changes)
    {
        var store = _membership.Services.GetRequiredService<IEventStore>();
        foreach (var group in changes.GroupBy(c => c.State))
        {
            var version = 0;
            var old = MemberStatus.Unspecified;
            var events = new List<NewEvent>();
            foreach (var (state, status, day) in group)
            {
                var change = new MemberStatusChanged { State = state, OldStatus = old, NewStatus = status, EffectiveDate = D(day), StreamVersion = ++version, Cause = new Cause { TreatyAct = "test" } };
                events.Add(NewEvent.From(change, new EventMetadata { CorrelationId = Guid.NewGuid().ToString(), EffectiveTime = Dates.ToEffectiveTime(Day(day)) }));
                old = status;
            }

            await store.AppendAsync(new AppendRequest("member-" + group.Key, ExpectedVersion.NoStream, events));
        }

        await Eventually.UntilAsync(async () => (await _log.GetConsumersAsync()).SingleOrDefault(c => c.Name == "operations-roster")?.ProcessedCount == changes.Length,
            TimeSpan.FromSeconds(60), $"{changes.Length} status changes in the operations roster");
    }

    /// <summary>The CSC adopts "authorize Channel" in the bodies service; operations opens it from the event.</summary>
    async Task GivenChannelAuthorizedAsync()
    {
        var decision = Authorize("Channel", OperationKind.AntiDrug, "2008-01-01", permanent: true, id: "csc-2008-channel");
        var record = NewEvent.From(decision, new EventMetadata { CorrelationId = "session-2008", EffectiveTime = Dates.ToEffectiveTime(Day("2008-01-01")) });
        _decisionEventId = record.EventId;
        await _bodies.Services.GetRequiredService<IEventStore>().AppendAsync(new AppendRequest("decision-csc-2008-channel", ExpectedVersion.NoStream, [record]));
        await Eventually.UntilAsync(async () => (await _log.ReadStreamAsync("operation-channel")).Count > 0, TimeSpan.FromSeconds(60), "Channel opened in operations");
    }

    Task JoinAsync(string state, string day) =>
        _client.JoinOperationAsync(new JoinOperationRequest { Operation = "operations/channel", State = state, JoinDate = D(day), Agencies = { Agency.DrugControl, Agency.Police, Agency.Border } }).ResponseAsync;

    async Task<OutcomeReport> ReportAsync(string state, string day, OutcomeFigures figures, string stage = "", string requestId = "") =>
        (await _client.ReportOutcomeAsync(new ReportOutcomeRequest { Operation = "operations/channel", State = state, ReportDate = D(day), Figures = figures, Stage = stage, RequestId = requestId })).Report;

    async Task<OperationTotals> TotalsAsync(string asOf, string stage = "") =>
        (await _client.GetOperationTotalsAsync(new GetOperationTotalsRequest { Operation = "operations/channel", AsOf = D(asOf), Stage = stage })).Totals;

    /// <summary>The call fails with the code and the rule (or field), and the log did not grow.</summary>
    async Task RefusedAsync(Func<Task> call, StatusCode code, string reasonOrField)
    {
        var head = _log.HeadPosition;
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, ex.StatusCode);
        var status = ex.GetRpcStatus()!;
        if (code == StatusCode.InvalidArgument)
        {
            Assert.Equal(reasonOrField, Assert.Single(status.GetDetail<BadRequest>()!.FieldViolations).Field);
        }
        else
        {
            Assert.Equal(reasonOrField, status.GetDetail<ErrorInfo>()!.Reason);
        }

        Assert.Equal(head, _log.HeadPosition);
    }

    [Fact]
    public async Task A_decision_adopted_in_bodies_opens_Channel_and_reports_from_three_states_with_a_correction_total_by_date()
    {
        await GivenMembersAsync(("KAZ", MemberStatus.Member, "1994-04-20"), ("RUS", MemberStatus.Member, "1994-04-20"), ("KGZ", MemberStatus.Member, "1994-04-20"),
            ("UZB", MemberStatus.Member, "2006-06-23"), ("UZB", MemberStatus.Suspended, "2012-12-19"));
        await GivenChannelAuthorizedAsync();

        var channel = (await _client.GetOperationAsync(new GetOperationRequest { Name = "operations/channel", AsOf = D("2012-06-01") })).Operation;
        Assert.Equal("decisions/csc-2008-channel", channel.Decision);
        Assert.Equal(OperationStatus.Active, channel.Status);
        Assert.True(channel.Permanent);
        var opened = (await _log.ReadStreamAsync("operation-channel"))[0];
        Assert.Equal(_decisionEventId, opened.Metadata.CausationId); // a trace follows causation back to the decision
        Assert.Equal("session-2008", opened.Metadata.CorrelationId);

        foreach (var state in new[] { "KAZ", "RUS", "KGZ", "UZB" })
        {
            await JoinAsync(state, "2012-01-10");
        }

        var kaz = await ReportAsync("KAZ", "2012-06-10", Seizures(Seized(Substance.Heroin, 10)), requestId: "kaz-2012-06-10");
        var headAfterKaz = _log.HeadPosition;
        var retried = await ReportAsync("KAZ", "2012-06-10", Seizures(Seized(Substance.Heroin, 10)), requestId: "kaz-2012-06-10");
        Assert.Equal(kaz, retried); // a retry with the same request_id returns the first result and appends nothing
        Assert.Equal(headAfterKaz, _log.HeadPosition);
        await ReportAsync("RUS", "2012-06-12", Seizures(Seized(Substance.Hashish, 100_000, Unit.Gram)));
        await ReportAsync("KGZ", "2012-07-05", Seizures(Seized(Substance.Opium, 7)));
        var corrected = (await _client.CorrectOutcomeAsync(new CorrectOutcomeRequest
        {
            Report = kaz.Name, State = "KAZ", CorrectedOn = D("2012-07-01"), Reason = "laboratory weight", Figures = Seizures(Seized(Substance.Heroin, 12)),
        })).Report;
        Assert.Equal(2, corrected.Version);

        var june = await TotalsAsync("2012-06-30");
        var july = await TotalsAsync("2012-07-31");
        Assert.Equal(110, june.Total.DrugsKg);
        Assert.Equal(119, july.Total.DrugsKg);
        Assert.Equal(["KAZ", "KGZ", "RUS"], july.ByState.Select(s => s.State));
        Assert.Equal(12, july.ByState[0].Totals.DrugsKg);
        Assert.Equal(100, july.Total.BySubstance.Single(s => s.Substance == Substance.Hashish).KgEquivalent);

        // Uzbekistan's participation is suspended from 2012-12-19: a report dated before counts, one dated after is refused
        await ReportAsync("UZB", "2012-11-01", Seizures(Seized(Substance.Opium, 3)));
        await RefusedAsync(() => ReportAsync("UZB", "2013-01-15", Seizures(Seized(Substance.Opium, 3))), StatusCode.FailedPrecondition, "STATE_HAS_NO_VOICE");

        await _client.AdmitObserverAsync(new AdmitObserverRequest { Operation = "operations/channel", Observer = "IRN", Kind = ObserverKind.State, AdmittedOn = D("2012-01-10") });
        await RefusedAsync(() => ReportAsync("IRN", "2012-06-10", Seizures(Seized(Substance.Opium, 3))), StatusCode.FailedPrecondition, "OBSERVER_CANNOT_REPORT");
        await RefusedAsync(() => ReportAsync("TJK", "2012-06-10", Seizures(Seized(Substance.Opium, 3))), StatusCode.FailedPrecondition, "NOT_A_PARTICIPANT");
        await RefusedAsync(() => ReportAsync("KAZ", "2012-06-10", Seizures(Seized(Substance.Opium, -3))), StatusCode.InvalidArgument, "figures.seizures[0].amount");
        await RefusedAsync(() => ReportAsync("KAZ", "2012-06-10", Seizures(Seized(Substance.Opium, 3, Unit.Unspecified))), StatusCode.InvalidArgument, "figures.seizures[0].unit");
        await RefusedAsync(() => ReportAsync("KAZ", "2007-06-10", Seizures(Seized(Substance.Opium, 3))), StatusCode.FailedPrecondition, "REPORT_OUTSIDE_OPERATION");
        await RefusedAsync(() => _client.CorrectOutcomeAsync(new CorrectOutcomeRequest { Report = "operations/channel/reports/nope", State = "KAZ", CorrectedOn = D("2012-07-01"), Reason = "x", Figures = Seizures(Seized(Substance.Heroin, 1)) }).ResponseAsync,
            StatusCode.FailedPrecondition, "UNKNOWN_REPORT");
        await RefusedAsync(() => JoinAsync("UZB", "2013-02-01"), StatusCode.FailedPrecondition, "ALREADY_PARTICIPANT");
        await RefusedAsync(() => _client.GetOperationAsync(new GetOperationRequest { Name = "operations/proxy" }).ResponseAsync, StatusCode.NotFound, "NOT_FOUND");

        var listed = await _client.ListOperationsAsync(new ListOperationsRequest { State = "KGZ", Status = OperationStatus.Active, AsOf = D("2012-06-01") });
        Assert.Equal(["operations/channel"], listed.Operations.Select(o => o.Name));
    }

    [Fact]
    public async Task An_operation_with_a_long_history_answers_each_report_and_correction_as_a_fresh_read_of_it()
    {
        // past 16 events the command path continues the operation's last folded state instead of folding its whole stream
        await GivenMembersAsync(("KAZ", MemberStatus.Member, "1994-04-20"));
        await GivenChannelAuthorizedAsync();
        await JoinAsync("KAZ", "2008-01-10");
        var reports = new List<OutcomeReport>();
        for (var i = 0; i < 30; i++)
        {
            var figures = new OutcomeFigures { PersonsDetained = i + 1 };
            var report = await ReportAsync("KAZ", Day("2012-01-01").AddDays(i).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), figures);
            reports.Add(report);
            var read = (await _client.GetOperationAsync(new GetOperationRequest { Name = "operations/channel" })).Operation;
            Assert.Equal(i + 1, read.Reports.Count);
            Assert.Equal(read.Reports.Single(r => r.Name == report.Name), report);
        }

        var corrected = (await _client.CorrectOutcomeAsync(new CorrectOutcomeRequest
        {
            Report = reports[2].Name, State = "KAZ", CorrectedOn = D("2012-03-01"), Reason = "recount", Figures = new OutcomeFigures { PersonsDetained = 100 },
        })).Report;
        var operation = (await _client.GetOperationAsync(new GetOperationRequest { Name = "operations/channel" })).Operation;
        Assert.Equal(operation.Reports.Single(r => r.Name == reports[2].Name), corrected);
        Assert.Equal(2, corrected.Version);
        // the totals (a fresh fold of the whole stream) count the correction instead of the report it supersedes
        Assert.Equal((30 * 31 / 2) - 3 + 100, (await TotalsAsync("2012-12-31")).Total.Counts.PersonsDetained);
        var folds = _operations.Services.GetRequiredService<Csto.EventLog.Commands.CommandPath>().Folded;
        Assert.True(folds.Continued >= 20, $"continued {folds.Continued}, whole {folds.Whole}");
    }

    [Fact]
    public async Task The_Mountain_Outpost_stage_report_totals_1742_kg_of_drugs_plus_341_kg_of_precursors_and_its_summary_is_published()
    {
        await GivenMembersAsync(("RUS", MemberStatus.Member, "1994-04-20"), ("KAZ", MemberStatus.Member, "1994-04-20"), ("TJK", MemberStatus.Member, "1994-04-20"));
        await GivenChannelAuthorizedAsync();

        var stage = (await _client.StartStageAsync(new StartStageRequest
        {
            Operation = "operations/channel", DisplayName = "Channel-Mountain Outpost", StartDate = D("2025-05-18"), EndDate = D("2025-05-23"), RequestId = "outpost",
        })).Stage;
        Assert.Equal(Outpost, stage.Name);
        foreach (var (observer, kind) in new[] { ("IRN", ObserverKind.State), ("CHN", ObserverKind.State), ("UNODC", ObserverKind.Organization) })
        {
            await _client.AdmitObserverAsync(new AdmitObserverRequest { Operation = "operations/channel", Observer = observer, Kind = kind, AdmittedOn = D("2025-05-18"), Stage = Outpost });
        }

        var reports = TotalsSpecs.MountainOutpostReports();
        var states = new[] { "RUS", "KAZ", "TJK" };
        for (var i = 0; i < states.Length; i++)
        {
            await JoinAsync(states[i], "2025-05-18");
            await ReportAsync(states[i], "2025-05-23", reports[i], Outpost);
        }

        await RefusedAsync(() => ReportAsync("KAZ", "2025-05-24", reports[1], Outpost), StatusCode.FailedPrecondition, "REPORT_OUTSIDE_STAGE");

        var totals = await TotalsAsync("2025-05-23", Outpost);
        Assert.Equal(1742, totals.Total.DrugsKg);
        Assert.Equal(341, totals.Total.PrecursorsKg);
        Assert.Equal([350.0, 188, 298, 832, 31], new[] { Substance.Marijuana, Substance.Hashish, Substance.Opium, Substance.Mephedrone, Substance.Heroin }
            .Select(s => totals.Total.BySubstance.Single(x => x.Substance == s).KgEquivalent));
        Assert.Equal(405, totals.Total.Counts.PersonsDetained);

        var closed = await _client.CloseStageAsync(new CloseStageRequest { Stage = Outpost, RequestId = "close-outpost" });
        Assert.True(closed.Stage.Closed);
        Assert.Equal(1742, closed.Totals.Total.DrugsKg);
        var summary = (await _log.ReadStreamAsync("operation-channel")).Single(r => r.Type == OperationSummaryPublished.Descriptor.FullName);
        var published = OperationSummaryPublished.Parser.ParseFrom(summary.Data);
        Assert.Equal("decisions/csc-2008-channel", published.Decision);
        Assert.Equal(Outpost, published.Stage);
        Assert.Equal(341, published.Totals.Total.PrecursorsKg);
        await RefusedAsync(() => ReportAsync("RUS", "2025-05-22", reports[0], Outpost), StatusCode.FailedPrecondition, "STAGE_CLOSED");

        var operation = (await _client.GetOperationAsync(new GetOperationRequest { Name = "operations/channel" })).Operation;
        Assert.Equal(["CHN", "IRN", "UNODC"], operation.Observers.Select(o => o.Observer_));
        Assert.Equal(3, operation.Reports.Count);
    }

    [Fact]
    public async Task A_CRRF_deployment_decided_outside_the_CSC_opens_nothing_and_records_why()
    {
        var decision = Authorize("CRRF Kazakhstan", OperationKind.CrisisResponse, "2022-01-06", "2022-01-19", permanent: false, body: "cmd", id: "cmd-2022-1");
        await _bodies.Services.GetRequiredService<IEventStore>().AppendAsync(new AppendRequest("decision-cmd-2022-1", ExpectedVersion.NoStream, [NewEvent.From(decision, new EventMetadata())]));

        await Eventually.UntilAsync(async () => (await _log.ReadStreamAsync("refusal-decisions-cmd-2022-1")).Count == 1, TimeSpan.FromSeconds(60), "the refusal recorded");
        var refusal = DecisionNotApplied.Parser.ParseFrom((await _log.ReadStreamAsync("refusal-decisions-cmd-2022-1"))[0].Data);
        Assert.Equal("CSC_DECISION_REQUIRED", refusal.Reason);
        Assert.Empty(await _log.ReadStreamAsync("operation-crrf-kazakhstan"));
    }

    [Fact]
    public async Task An_operation_past_its_end_date_closes_once_with_its_summary()
    {
        var decision = Authorize("Illegal-2006", OperationKind.IllegalMigration, "2006-06-01", "2006-06-30", permanent: false, id: "csc-2006-illegal");
        await _bodies.Services.GetRequiredService<IEventStore>().AppendAsync(new AppendRequest("decision-csc-2006-illegal", ExpectedVersion.NoStream, [NewEvent.From(decision, new EventMetadata())]));
        await Eventually.UntilAsync(async () => (await _log.ReadStreamAsync("operation-illegal-2006")).Count > 0, TimeSpan.FromSeconds(60), "Illegal-2006 opened");
        var closer = _operations.Services.GetRequiredService<Csto.Operations.Operations.EndDateCloser>();

        Assert.Equal(1, await closer.CloseDueAsync(CancellationToken.None));
        Assert.Equal(0, await closer.CloseDueAsync(CancellationToken.None));

        var stream = await _log.ReadStreamAsync("operation-illegal-2006");
        Assert.Equal([OperationOpened.Descriptor.FullName, OperationClosed.Descriptor.FullName, OperationSummaryPublished.Descriptor.FullName], stream.Select(r => r.Type));
        var operation = (await _client.GetOperationAsync(new GetOperationRequest { Name = "operations/illegal-2006" })).Operation;
        Assert.True(operation.Closed);
        Assert.Equal(OperationStatus.Closed, operation.Status);
        await RefusedAsync(() => _client.JoinOperationAsync(new JoinOperationRequest { Operation = "operations/illegal-2006", State = "KAZ", JoinDate = D("2006-06-10"), Agencies = { Agency.Police } }).ResponseAsync,
            StatusCode.FailedPrecondition, "OPERATION_CLOSED");
    }

    [Fact]
    public async Task Published_aggregates_leaving_and_periods_over_the_API()
    {
        await GivenMembersAsync(("KAZ", MemberStatus.Member, "1994-04-20"), ("RUS", MemberStatus.Member, "1994-04-20"));
        await GivenChannelAuthorizedAsync();
        await JoinAsync("KAZ", "2008-01-10");
        await JoinAsync("RUS", "2008-01-10");
        await ReportAsync("KAZ", "2012-06-10", new OutcomeFigures { AmmunitionRounds = 1_300, Qualifiers = { Qualified("ammunition_rounds", Qualifier.AtLeast) } });
        await ReportAsync("RUS", "2013-03-12", new OutcomeFigures { AmmunitionRounds = 200 });

        var request = new RecordPublishedTotalsRequest
        {
            Operation = "operations/channel", AsOf = D("2025-06-30"), Figures = PublishedTotalsSpecs.ChannelCumulative(),
            Description = "cumulative figures reported for Channel in the source", RequestId = "published-1",
        };
        var first = (await _client.RecordPublishedTotalsAsync(request)).Published;
        var head = _log.HeadPosition;
        var retried = (await _client.RecordPublishedTotalsAsync(request)).Published;
        Assert.Equal(head, _log.HeadPosition); // a retry appends nothing
        Assert.Equal(first, retried);
        Assert.NotEmpty(first.SourceEventId);
        Assert.Equal(12_000, first.Figures.OfWhich[0].KgEquivalent);

        var totals = await TotalsAsync("2025-12-31");
        Assert.Equal(1_500, totals.Total.Counts.AmmunitionRounds);
        Assert.Equal(Qualifier.AtLeast, Assert.Single(totals.Total.Counts.Qualifiers).Qualifier);
        Assert.Equal(Qualifier.Exact, totals.Total.DrugsQualifier);
        Assert.Equal(first, Assert.Single(totals.Published));

        var in2013 = (await _client.GetOperationTotalsAsync(new GetOperationTotalsRequest { Operation = "operations/channel", AsOf = D("2013-12-31"), FromDate = D("2013-01-01") })).Totals;
        Assert.Equal((200L, 1), (in2013.Total.Counts.AmmunitionRounds, in2013.Total.Reports));
        Assert.Equal(D("2013-01-01"), in2013.FromDate);
        await RefusedAsync(() => _client.GetOperationTotalsAsync(new GetOperationTotalsRequest { Operation = "operations/channel", AsOf = D("2013-12-31"), FromDate = D("2014-01-01") }).ResponseAsync, StatusCode.InvalidArgument, "from_date");
        await RefusedAsync(() => _client.RecordPublishedTotalsAsync(new RecordPublishedTotalsRequest { Operation = "operations/channel", AsOf = D("2025-06-30"), Figures = new PublishedFigures() }).ResponseAsync, StatusCode.InvalidArgument, "figures");

        var left = (await _client.LeaveOperationAsync(new LeaveOperationRequest { Operation = "operations/channel", State = "KAZ", LeftOn = D("2014-06-30"), Reason = "test", RequestId = "kaz-leaves" })).Participant;
        Assert.Equal(D("2014-06-30"), left.LeftOn);
        await RefusedAsync(() => ReportAsync("KAZ", "2014-07-01", new OutcomeFigures { Firearms = 1 }), StatusCode.FailedPrecondition, "PARTICIPANT_LEFT");
        var listed = await _client.ListOperationsAsync(new ListOperationsRequest { State = "KAZ", AsOf = D("2015-01-01") });
        Assert.Empty(listed.Operations);

        Assert.Equal("operations/channel", Assert.Single((await _client.ListOperationsAsync(new ListOperationsRequest { DisplayName = "CHANNEL" })).Operations).Name);
        Assert.Empty((await _client.ListOperationsAsync(new ListOperationsRequest { DisplayName = "Chan" })).Operations);
        // a filter value the API does not define is refused naming the field, not answered with an empty list
        await RefusedAsync(() => _client.ListOperationsAsync(new ListOperationsRequest { Kind = (Csto.Common.V1.OperationKind)99 }).ResponseAsync, StatusCode.InvalidArgument, "kind");
        await RefusedAsync(() => _client.ListOperationsAsync(new ListOperationsRequest { Status = (OperationStatus)99 }).ResponseAsync, StatusCode.InvalidArgument, "status");
    }
}
