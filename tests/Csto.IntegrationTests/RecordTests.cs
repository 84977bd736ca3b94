using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Testing;
using Grpc.Core;

namespace Csto.IntegrationTests;

/// <summary>
/// The record against shared/domain.md's tables, row by row: the question the API must answer on a date and the answer
/// the table gives, on the suite loaded with the history file.
/// </summary>
[Collection("suite")]
public sealed class RecordTests(SuiteFixture suite)
{
    static Date D(int y, int m, int d) => new() { Year = y, Month = m, Day = d };

    static Date D(DateOnly d) => new() { Year = d.Year, Month = d.Month, Day = d.Day };

    BodiesService.BodiesServiceClient Bodies => new(suite.Bodies.Channel);

    /// <summary>domain.md, "Chairmanship in practice": the chair from each handing-over session on (Belarus's start, December 2010, is the recorded one).</summary>
    static readonly (DateOnly From, string State)[] Chairs =
    [
        (new(2010, 12, 10), "BLR"), (new(2011, 12, 20), "KAZ"), (new(2012, 12, 19), "KGZ"), (new(2013, 9, 23), "RUS"), (new(2014, 12, 23), "TJK"),
        (new(2015, 9, 15), "ARM"), (new(2016, 10, 14), "BLR"), (new(2017, 11, 30), "KAZ"), (new(2018, 11, 8), "KGZ"), (new(2019, 11, 28), "RUS"),
        (new(2020, 12, 2), "TJK"), (new(2021, 9, 16), "ARM"), (new(2022, 11, 23), "BLR"), (new(2023, 11, 23), "KAZ"), (new(2024, 11, 28), "RUS"),
    ];

    static string ChairOn(DateOnly day) => Chairs.Last(c => c.From <= day).State;

    public static TheoryData<int> Years => [.. Enumerable.Range(2011, 15)];

    [Theory]
    [MemberData(nameof(Years))]
    public async Task The_chair_on_three_dates_of_every_year_is_the_one_domain_md_gives(int year)
    {
        foreach (var day in new[] { new DateOnly(year, 2, 1), new DateOnly(year, 7, 1), new DateOnly(year, 12, 15) })
        {
            var chair = await Bodies.GetChairAsync(new GetChairRequest { AsOf = D(day) });
            Assert.True(chair.State == ChairOn(day), $"{day:yyyy-MM-dd}: expected {ChairOn(day)}, the service says {chair.State}");
        }
    }

    [Fact]
    public async Task Each_handing_over_session_passes_the_chair_on_its_own_day()
    {
        foreach (var (from, state) in Chairs.Skip(1))
        {
            var on = await Bodies.GetChairAsync(new GetChairRequest { AsOf = D(from) });
            var before = await Bodies.GetChairAsync(new GetChairRequest { AsOf = D(from.AddDays(-1)) });
            Assert.Equal(state, on.State);
            Assert.Equal(ChairOn(from.AddDays(-1)), before.State);
            Assert.Equal(D(from.AddDays(-1)), before.Until);
        }

        // the dates the issue names
        Assert.Equal("BLR", (await Bodies.GetChairAsync(new GetChairRequest { AsOf = D(2017, 6, 1) })).State);
        Assert.Equal("RUS", (await Bodies.GetChairAsync(new GetChairRequest { AsOf = D(2020, 6, 1) })).State);
        Assert.Equal("ARM", (await Bodies.GetChairAsync(new GetChairRequest { AsOf = D(2022, 1, 6) })).State);
        Assert.Equal("KAZ", (await Bodies.GetChairAsync(new GetChairRequest { AsOf = D(2024, 6, 1) })).State);
        Assert.Equal("RUS", (await Bodies.GetChairAsync(new GetChairRequest { AsOf = D(2025, 6, 1) })).State);
    }

    [Fact]
    public async Task The_chairs_are_listed_with_their_handing_over_sessions_and_the_minsk_2023_session_is_there()
    {
        var chairs = (await Bodies.ListChairsAsync(new ListChairsRequest())).Chairs.Where(c => c.Since.Year >= 2010).ToList();

        Assert.Equal(Chairs.Select(c => (D(c.From), c.State)), chairs.Select(c => (c.Since, c.State)));
        var minsk = chairs.Single(c => c.Since.Equals(D(2023, 11, 23)));
        Assert.Equal(("sessions/csc-2023-11-23-minsk", ChairBasis.HandoverAtSession), (minsk.Session, minsk.Basis));
        Assert.Equal(Basis.Sourced, minsk.Provenance.Basis);
        Assert.Null(chairs[^1].Until); // Russia chairs today
        var sochi = chairs.Single(c => c.Since.Equals(D(2013, 9, 23)));
        Assert.Equal(ChairBasis.HostOfRegularSession, sochi.Basis); // Article 13's default where the Council decided nothing
        var today = await Bodies.GetChairAsync(new GetChairRequest());
        Assert.Equal("RUS", today.State); // as_of defaults to today
        Assert.NotNull(today.AsOf);
    }

    [Fact]
    public async Task A_state_without_a_voice_cannot_be_handed_the_chair()
    {
        var head = (await new EventLogService.EventLogServiceClient(suite.Bodies.Channel).GetLogInfoAsync(new GetLogInfoRequest())).HeadPosition;

        var refused = await Assert.ThrowsAsync<RpcException>(() => Bodies.ConveneSessionAsync(new ConveneSessionRequest
        {
            Body = "bodies/csc", SessionId = "csc-2013-12-01-tashkent", Date = D(2013, 12, 1), Place = "Tashkent", HostState = "RUS", Regular = true, ChairHandedTo = "UZB",
        }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("UZB", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(head, (await new EventLogService.EventLogServiceClient(suite.Bodies.Channel).GetLogInfoAsync(new GetLogInfoRequest())).HeadPosition);
    }

    public static TheoryData<string, string, string> SecretaryGeneralDates => new()
    {
        { "2003-04-28", "Nikolai Bordyuzha", "RUS" }, { "2006-04-28", "Nikolai Bordyuzha", "RUS" }, { "2011-06-01", "Nikolai Bordyuzha", "RUS" }, { "2016-12-31", "Nikolai Bordyuzha", "RUS" },
        { "2017-01-01", "Yuri Khachaturov", "ARM" }, { "2018-11-02", "Yuri Khachaturov", "ARM" },
        { "2018-11-03", "Valery Semerikov", "RUS" }, { "2019-12-31", "Valery Semerikov", "RUS" },
        { "2020-01-01", "Stanislav Zas", "BLR" }, { "2022-12-31", "Stanislav Zas", "BLR" },
        { "2023-01-01", "Imangali Tasmagambetov", "KAZ" }, { "2025-06-01", "Imangali Tasmagambetov", "KAZ" },
    };

    [Theory]
    [MemberData(nameof(SecretaryGeneralDates))]
    public async Task The_secretary_general_on_a_date_in_every_term_is_the_one_domain_md_gives(string date, string person, string citizen)
    {
        var day = DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture);
        var term = (await Bodies.GetSecretaryGeneralAsync(new GetSecretaryGeneralRequest { AsOf = D(day) })).Term;
        Assert.Equal((person, citizen), (term.PersonName, term.Citizenship));
    }

    [Fact]
    public async Task The_post_of_secretary_general_has_no_gap_and_records_the_recall_and_the_acting_holder()
    {
        var terms = (await Bodies.ListSecretariesGeneralAsync(new ListSecretariesGeneralRequest())).Terms;

        Assert.Equal(["Nikolai Bordyuzha", "Nikolai Bordyuzha", "Nikolai Bordyuzha", "Nikolai Bordyuzha", "Nikolai Bordyuzha", "Yuri Khachaturov", "Valery Semerikov", "Stanislav Zas", "Imangali Tasmagambetov"],
            terms.Select(t => t.PersonName));
        Assert.Equal([false, true, true, true, true, false, false, false, false], terms.Select(t => t.Reappointment));
        for (var i = 1; i < terms.Count; i++)
        {
            var previousLast = (terms[i - 1].EndedOn ?? terms[i - 1].TermEnd).ToDateOnly();
            Assert.True(terms[i].TermStart.ToDateOnly() == previousLast.AddDays(1), $"gap or overlap before {terms[i].PersonName} {terms[i].TermStart}");
        }

        var khachaturov = terms.Single(t => t.PersonName == "Yuri Khachaturov");
        Assert.Equal((D(2018, 11, 2), TermEndReason.Recalled, D(2019, 12, 31)), (khachaturov.EndedOn, khachaturov.EndReason, khachaturov.TermEnd));
        Assert.True(terms.Single(t => t.PersonName == "Valery Semerikov").Acting);
        Assert.Equal(D(2016, 12, 31), terms[4].TermEnd);
        Assert.Equal(Basis.Chosen, terms[1].Provenance.Basis); // the reappointments' dates are the recorder's
        Assert.Equal(Basis.Sourced, terms[0].Provenance.Basis);
    }

    public static TheoryData<string, string, string> BodyParents => new()
    {
        { "csc", "", "1992-05-15" }, { "permanent-council", "bodies/csc", "2003-09-18" }, { "cmfa", "bodies/csc", "2003-09-18" }, { "cmd", "bodies/csc", "2003-09-18" },
        { "military-committee", "bodies/cmd", "2012-12-19" }, { "cssc", "bodies/csc", "2003-09-18" }, { "secretariat", "bodies/csc", "2003-09-18" },
        { "joint-staff", "bodies/cmd", "2003-09-18" }, { "parliamentary-assembly", "", "2006-01-01" },
    };

    [Theory]
    [MemberData(nameof(BodyParents))]
    public async Task Every_body_of_domain_md_exists_under_its_parent(string id, string parent, string founded)
    {
        var body = (await Bodies.GetBodyAsync(new GetBodyRequest { Name = "bodies/" + id })).Body;
        Assert.Equal((parent, founded), (body.Parent, body.FoundedOn.ToDateOnly().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.NotEqual(Basis.Unspecified, body.Provenance.Basis);
    }

    [Fact]
    public async Task There_is_one_military_committee_established_by_the_2012_decision_and_establishing_it_again_is_refused()
    {
        var all = (await Bodies.ListBodiesAsync(new ListBodiesRequest())).Bodies;
        var committee = Assert.Single(all, b => b.DisplayName == "Military Committee");
        Assert.Equal(("bodies/military-committee", "decisions/military-committee"), (committee.Name, committee.EstablishedBy));
        Assert.Single((await Bodies.ListBodiesAsync(new ListBodiesRequest { DisplayName = "military committee" })).Bodies);

        var refused = await Assert.ThrowsAsync<RpcException>(() => Bodies.TableDraftAsync(new TableDraftRequest
        {
            Session = "sessions/csc-2012-12-19-moscow", DraftId = "military-committee-again", Title = "Establishment of the Military Committee",
            Payload = new DecisionPayload { EstablishBody = new EstablishBody { BodyId = "military-committee-2012", Name = "Military Committee", ParentBodyId = "cmd" } },
        }).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, refused.StatusCode);
        Assert.Contains("bodies/military-committee", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_parliamentary_assembly_has_serbia_and_afghanistan_as_observers_since_2014_with_the_chosen_day_said()
    {
        var assembly = (await Bodies.GetBodyAsync(new GetBodyRequest { Name = "bodies/parliamentary-assembly" })).Body;

        Assert.Equal(["SRB", "AFG"], assembly.Observers.Select(o => o.Observer));
        Assert.All(assembly.Observers, o => Assert.Equal((2014, Basis.Chosen), (o.AdmittedOn.Year, o.Provenance.Basis)));
        Assert.Contains("year only", assembly.Observers[0].Provenance.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_1999_extension_protocol_binds_its_six_signatories_and_the_three_others_leave_when_the_term_ends()
    {
        var protocol = (await Bodies.GetDecisionAsync(new GetDecisionRequest { Name = "decisions/extension-protocol-1999" })).Decision;
        Assert.Equal(["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"], protocol.BoundStates.Select(b => b.State).Order());
        Assert.Equal(["AZE", "GEO", "UZB"], protocol.MayJoinStates.Order());

        var membership = new MembershipService.MembershipServiceClient(suite.Membership.Channel);
        var lastDay = (await membership.GetRosterAsync(new GetRosterRequest { AsOf = D(1999, 4, 19) })).Entries.Select(e => e.State).ToList();
        var termEnd = (await membership.GetRosterAsync(new GetRosterRequest { AsOf = D(1999, 4, 20) })).Entries.Select(e => e.State).ToList();
        Assert.Contains("AZE", lastDay);
        Assert.DoesNotContain("AZE", termEnd); // TermEndedWithoutRenewal.effective_date: the day the term ends, the first day no longer a party
    }

    [Fact]
    public async Task The_observer_status_in_the_un_general_assembly_and_the_2010_declaration_are_on_record()
    {
        var relations = (await Bodies.ListExternalRelationsAsync(new ListExternalRelationsRequest())).Relations;

        Assert.Equal([("UN General Assembly", RelationKind.ObserverStatus, D(2004, 12, 2)), ("UN Secretariat", RelationKind.JointDeclaration, D(2010, 3, 18))],
            relations.Select(r => (r.Counterpart, r.Kind, r.EffectiveDate)));
        Assert.All(relations, r => Assert.Equal(Basis.Sourced, r.Provenance.Basis));
        Assert.Single((await Bodies.ListExternalRelationsAsync(new ListExternalRelationsRequest { Counterpart = "un general assembly" })).Relations);
    }

    [Fact]
    public async Task Sessions_positions_and_decisions_can_be_looked_up_by_year_host_state_rule_and_session()
    {
        var in2022 = (await Bodies.ListSessionsAsync(new ListSessionsRequest { Body = "bodies/csc", Year = 2022 })).Sessions;
        Assert.Equal(["sessions/csc-2022-01-06-video", "sessions/csc-2022-11-23-yerevan"], in2022.Select(s => s.Name));
        Assert.All((await Bodies.ListSessionsAsync(new ListSessionsRequest { HostState = "BLR", PageSize = 500 })).Sessions, s => Assert.Equal("BLR", s.HostState));

        var objections = (await Bodies.ListStatePositionsAsync(new ListStatePositionsRequest { State = "ARM", Position = Position.Object })).Positions;
        Assert.Equal(["drafts/yerevan-declaration-2022", "drafts/assistance-armenia-2022"], objections.Select(p => p.Draft));
        Assert.All(objections, p => Assert.Equal(DraftStatus.Returned, p.Outcome));
        var stayedOut = (await Bodies.ListStatePositionsAsync(new ListStatePositionsRequest { State = "ARM", Position = Position.NotParticipating })).Positions;
        Assert.Contains(stayedOut, p => p.Decision == "decisions/limited-format-2024" && p.Rule == DecisionRule.LimitedFormat);

        var limited = (await Bodies.ListDecisionsAsync(new ListDecisionsRequest { Rule = DecisionRule.LimitedFormat })).Decisions;
        Assert.Equal(["decisions/limited-format-2024"], limited.Select(d => d.Name));
        Assert.DoesNotContain("ARM", limited[0].BoundStates.Select(b => b.State)); // frozen: not bound
        var atYerevan = (await Bodies.ListDecisionsAsync(new ListDecisionsRequest { Session = "sessions/csc-2022-11-23-yerevan" })).Decisions;
        Assert.Equal(["decisions/sg-tasmagambetov"], atYerevan.Select(d => d.Name));
    }

    Csto.Operations.V1.OperationsService.OperationsServiceClient Operations => new(suite.Operations.Channel);

    [Fact]
    public async Task The_january_2022_deployment_is_a_crisis_response_at_kazakhstans_request_under_article_4()
    {
        var operation = Assert.Single((await Operations.ListOperationsAsync(new Csto.Operations.V1.ListOperationsRequest { DisplayName = "Kazakhstan 2022" })).Operations);

        Assert.Equal((OperationKind.CrisisResponse, "KAZ", "Collective Security Treaty, Article 4"), (operation.Kind, operation.RequestedBy, operation.LegalBasis));
        Assert.Equal((D(2022, 1, 6), D(2022, 1, 19)), (operation.StartDate, operation.EndDate));
        Assert.Equal(["ARM", "BLR", "KGZ", "RUS", "TJK"], operation.Participants.Select(p => p.State).Order());
        Assert.Equal("decisions/kazakhstan-2022", operation.Decision);
        Assert.Equal(Basis.Sourced, operation.Provenance.Basis);
        Assert.Contains(operation.Stages, s => s.DisplayName == "Withdrawal" && s.StartDate.Equals(D(2022, 1, 13)) && s.EndDate.Equals(D(2022, 1, 19)));

        var decision = (await Bodies.GetDecisionAsync(new GetDecisionRequest { Name = "decisions/kazakhstan-2022" })).Decision;
        Assert.Equal(("sessions/csc-2022-01-06-video", DecisionRule.Consensus), (decision.Session, decision.Rule));
        Assert.Equal("ARM", (await Bodies.GetChairAsync(new GetChairRequest { AsOf = D(2022, 1, 6) })).State); // chaired by Armenia

        var totals = (await Operations.GetOperationTotalsAsync(new Csto.Operations.V1.GetOperationTotalsRequest { Operation = operation.Name, AsOf = D(2022, 12, 31) })).Totals;
        var troops = Assert.Single(totals.Published);
        Assert.Equal(2000, troops.Figures.Counts.PersonnelEngaged);
        Assert.Contains(troops.Figures.Counts.Qualifiers, q => q.Field == "personnel_engaged" && q.Qualifier == Csto.Operations.V1.Qualifier.About);
        Assert.Equal(0, totals.Total.Counts.PersonnelEngaged); // no itemized report: the published figure is not a report
    }

    [Fact]
    public async Task Participation_in_the_historys_operations_follows_each_states_status_and_ends_with_the_operation()
    {
        static List<string> PeriodsOf(Csto.Operations.V1.Operation op, string state) =>
            [.. op.Participants.Single(p => p.State == state).Periods.Select(p => $"{p.JoinDate.ToIso()}..{p.LeftOn?.ToIso()}")];

        var channel = (await Operations.GetOperationAsync(new Csto.Operations.V1.GetOperationRequest { Name = "operations/channel" })).Operation;
        Assert.Equal(["2008-09-05.."], PeriodsOf(channel, "RUS"));
        // Uzbekistan's participation in the CSTO was suspended on 2012-12-19; Armenia froze its participation on 2024-02-22
        Assert.Equal(["2008-09-05..2012-12-18"], PeriodsOf(channel, "UZB"));
        Assert.Equal(["2008-09-05..2024-02-21"], PeriodsOf(channel, "ARM"));
        Assert.Contains("frozen", channel.Participants.Single(p => p.State == "ARM").Periods.Single().ReasonLeft, StringComparison.Ordinal);

        var deployment = Assert.Single((await Operations.ListOperationsAsync(new Csto.Operations.V1.ListOperationsRequest { DisplayName = "Kazakhstan 2022" })).Operations);
        Assert.All(deployment.Participants, p => Assert.Equal(["2022-01-06..2022-01-19"], PeriodsOf(deployment, p.State)));

        // "who takes part on a date" by state across operations: Uzbekistan in none on 2013-01-01, in Channel on 2010-01-01
        Assert.DoesNotContain((await Operations.ListOperationsAsync(new Csto.Operations.V1.ListOperationsRequest { State = "UZB", AsOf = D(2013, 1, 1) })).Operations, o => o.Name == "operations/channel");
        Assert.Contains((await Operations.ListOperationsAsync(new Csto.Operations.V1.ListOperationsRequest { State = "UZB", AsOf = D(2010, 1, 1) })).Operations, o => o.Name == "operations/channel");
    }

    [Fact]
    public async Task Channels_published_cumulative_figures_keep_their_qualifiers_and_are_never_added_to_the_reports()
    {
        var totals = (await Operations.GetOperationTotalsAsync(new Csto.Operations.V1.GetOperationTotalsRequest { Operation = "operations/channel", AsOf = D(2025, 12, 31) })).Totals;

        Assert.Equal(1742, totals.Total.DrugsKg, 3); // the itemized reports only
        var cumulative = totals.Published.Single(p => p.Stage.Length == 0);
        Assert.Equal((245000, Csto.Operations.V1.Qualifier.About), (cumulative.Figures.DrugsKg, cumulative.Figures.DrugsQualifier));
        var heroin = cumulative.Figures.OfWhich.Single(x => x.Substance == Csto.Operations.V1.Substance.Heroin);
        Assert.Equal((12000, Csto.Operations.V1.Qualifier.AtLeast), (heroin.KgEquivalent, heroin.Qualifier));
        Assert.Equal((9300L, 300000L), (cumulative.Figures.Counts.Firearms, cumulative.Figures.Counts.AmmunitionRounds));
        Assert.Contains(cumulative.Figures.Counts.Qualifiers, q => q.Field == "firearms" && q.Qualifier == Csto.Operations.V1.Qualifier.AtLeast);
        Assert.Equal(Basis.Chosen, cumulative.Provenance.Basis); // the figures are sourced, their date is not
        var stage = totals.Published.Single(p => p.StageDisplayName == "Channel-Mountain Outpost");
        Assert.Equal((17000L, 1742.0), (stage.Figures.Counts.PersonnelEngaged, stage.Figures.DrugsKg));

        // "more than 17,000 officers": the approximate parts keep the sum approximate
        Assert.Equal(17000, totals.Total.Counts.PersonnelEngaged);
        Assert.Contains(totals.Total.Counts.Qualifiers, q => q.Field == "personnel_engaged" && q.Qualifier == Csto.Operations.V1.Qualifier.AtLeast);
        Assert.Contains(totals.Total.Counts.Qualifiers, q => q.Field == "ammunition_rounds" && q.Qualifier == Csto.Operations.V1.Qualifier.AtLeast);
        var anyReport = (await Operations.GetOperationAsync(new Csto.Operations.V1.GetOperationRequest { Name = "operations/channel" })).Operation.Reports.First();
        Assert.Equal(Basis.Illustrative, anyReport.Provenance.Basis); // the split among states is not in the source

        var (code, output, error) = await suite.CtlAsync("query", "totals", "--operation", "Channel");
        Assert.True(code == 0, error);
        Assert.Contains("about 245,000 kg", output, StringComparison.Ordinal);
        Assert.Contains("more than 9,300", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_trace_of_the_2022_deployment_shows_where_each_fact_comes_from()
    {
        var (code, output, error) = await suite.CtlAsync("trace", "decisions/kazakhstan-2022");

        Assert.True(code == 0, error);
        Assert.Contains("operations/operation-kazakhstan-2022", output, StringComparison.Ordinal);
        Assert.Contains("provenance: sourced: shared/domain.md, Treaty and organization: 2022-01-05/06", output, StringComparison.Ordinal);
        Assert.Contains("provenance: chosen:", output, StringComparison.Ordinal); // the positions
    }

    [Fact]
    public async Task Every_event_the_history_recorded_says_where_it_comes_from()
    {
        foreach (var host in new[] { suite.Membership, suite.Bodies, suite.Operations })
        {
            var log = new EventLogService.EventLogServiceClient(host.Channel);
            var request = new ListEventsRequest { PageSize = 1000 };
            var missing = new List<string>();
            do
            {
                var page = await log.ListEventsAsync(request);
                missing.AddRange(page.Records.Where(r => r.Metadata?.Provenance is null || r.Metadata.Provenance.Basis == Basis.Unspecified).Select(r => $"{r.SourceService}#{r.Position} {r.Type} {r.StreamId}"));
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken.Length > 0);

            Assert.True(missing.Count == 0, string.Join("\n", missing.Take(20)));
        }
    }

    [Fact]
    public async Task A_write_with_a_chosen_fact_that_does_not_say_why_is_refused_naming_the_field_and_appends_nothing()
    {
        var log = new EventLogService.EventLogServiceClient(suite.Bodies.Channel);
        var head = (await log.GetLogInfoAsync(new GetLogInfoRequest())).HeadPosition;

        var refused = await Assert.ThrowsAsync<RpcException>(() => Bodies.AdmitBodyObserverAsync(new AdmitBodyObserverRequest
        {
            Body = "bodies/parliamentary-assembly", Observer = "IRN", Kind = Csto.Operations.V1.ObserverKind.State, AdmittedOn = D(2020, 1, 1),
            Provenance = new Provenance { Source = "somewhere", Basis = Basis.Chosen },
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.StartsWith("provenance.reason:", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(head, (await log.GetLogInfoAsync(new GetLogInfoRequest())).HeadPosition);
    }

    [Fact]
    public async Task Positions_the_sources_do_not_give_are_marked_as_chosen_on_the_decision()
    {
        var decision = (await Bodies.GetDecisionAsync(new GetDecisionRequest { Name = "decisions/suspend-uzb-2012" })).Decision;

        Assert.Equal(Basis.Sourced, decision.Provenance.Basis);
        Assert.Equal(Basis.Chosen, decision.PositionsProvenance.Basis);
        Assert.Contains("not each state's position", decision.PositionsProvenance.Reason, StringComparison.Ordinal);
    }
}

/// <summary>Provenance is part of every write of every service: a write request without the field could not carry it.</summary>
public sealed class ProvenanceContractTests
{
    [Fact]
    public void Every_write_request_of_every_service_has_a_provenance_field()
    {
        var services = new[] { MembershipService.Descriptor, BodiesService.Descriptor, Csto.Operations.V1.OperationsService.Descriptor };
        var writes = services.SelectMany(s => s.Methods).Where(m => m.InputType.FindFieldByName("request_id") is not null).ToList();

        Assert.True(writes.Count >= 28, $"only {writes.Count} writes found");
        var without = writes.Where(m => m.InputType.FindFieldByName("provenance")?.MessageType?.FullName != Provenance.Descriptor.FullName).Select(m => m.FullName).ToList();
        Assert.True(without.Count == 0, "writes without provenance: " + string.Join(", ", without));
    }

    [Theory]
    [InlineData(Basis.Chosen, "", "a reason", null)]
    [InlineData(Basis.Chosen, "domain.md", "", "provenance.reason")]
    [InlineData(Basis.Illustrative, "domain.md", " ", "provenance.reason")]
    [InlineData(Basis.Derived, "", "", "provenance.reason")]
    [InlineData(Basis.Sourced, "", "", "provenance.source")]
    [InlineData(Basis.Unspecified, "domain.md", "", "provenance.basis")]
    [InlineData((Basis)42, "domain.md", "", "provenance.basis")]
    [InlineData(Basis.Sourced, "TASS, 2012-12-19", "", null)]
    public void A_provenance_states_its_basis_cites_a_source_when_sourced_and_says_why_when_chosen(Basis basis, string source, string reason, string? field)
    {
        var problem = Csto.Kernel.Provenances.Problem(new Provenance { Basis = basis, Source = source, Reason = reason });
        Assert.Equal(field, problem?.Field);
    }
}

/// <summary>cstoctl reaches the instances of a service given as several addresses (deploy/cluster.sh prints them so).</summary>
[Collection("suite")]
public sealed class SeveralAddressesTests(SuiteFixture suite)
{
    [Fact]
    public async Task Cstoctl_spreads_calls_over_several_addresses_of_a_service_and_skips_one_that_does_not_answer()
    {
        // a port nobody listens on, beside the real instance
        var dead = RabbitMqFixture.FreePorts(1)[0];

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Environment.SetEnvironmentVariable("CSTO_TOKEN", null);
        var code = await Csto.Ctl.Cli.RunAsync(
            ["query", "chair", "--as-of", "2024-06-01", "--token", Csto.Testing.TestTokens.For("reader"),
             "--membership-url", suite.Membership.Address, "--bodies-url", $"http://127.0.0.1:{dead},{suite.Bodies.Address}", "--operations-url", suite.Operations.Address],
            stdout, stderr);

        Assert.True(code == 0, stderr.ToString());
        Assert.Contains("KAZ", stdout.ToString(), StringComparison.Ordinal);
    }
}
