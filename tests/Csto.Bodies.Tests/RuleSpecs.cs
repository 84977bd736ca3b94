using Csto.Testing;
using Csto.Bodies.Bodies;
using Csto.Bodies.Drafts;
using Csto.Bodies.Posts;
using Csto.EventLog.Roster;
using Csto.Bodies.Sessions;
using Csto.Bodies.V1;
using Csto.Membership.V1;
using Xunit;
using static Csto.Bodies.Tests.Given;

namespace Csto.Bodies.Tests;

public sealed class RosterSpecs
{
    [Fact]
    public void The_status_on_a_date_is_the_latest_act_effective_by_then()
    {
        var roster = Members(("UZB", MemberStatus.Suspended, D(2012, 12, 19)));
        Assert.Equal(MemberStatus.Signatory, roster.StatusOn("UZB", D(1993, 1, 1)));
        Assert.Equal(MemberStatus.Withdrawn, roster.StatusOn("UZB", D(2000, 1, 1)));
        Assert.Equal(MemberStatus.Member, roster.StatusOn("UZB", D(2012, 12, 18)));
        Assert.Equal(Participation.NoVoice, roster.ParticipationOn("UZB", D(2012, 12, 19)));
        Assert.Equal(MemberStatus.Unspecified, roster.StatusOn("AZE", D(2000, 1, 1)));
    }

    [Fact]
    public void Entries_arriving_out_of_order_give_the_same_history()
    {
        var entries = new List<RosterEntry>
        {
            new("ARM", MemberStatus.Frozen, D(2024, 2, 22), 3),
            new("ARM", MemberStatus.Signatory, D(1992, 5, 15), 1),
            new("ARM", MemberStatus.Member, D(1994, 4, 20), 2),
        };
        var roster = new RosterView(entries);
        Assert.Equal(Participation.Voice, roster.ParticipationOn("ARM", D(2023, 1, 1)));
        Assert.Equal(Participation.Frozen, roster.ParticipationOn("ARM", D(2024, 3, 1)));
    }
}

public sealed class PositionSpecs
{
    [Fact]
    public void A_member_with_a_voice_records_its_position()
    {
        var e = Then.Single<PositionRecorded>(DraftDecide.RecordPosition(Draft(D(2022, 11, 23)), Roster2024, "KAZ", Position.Support));
        Assert.Equal(("KAZ", Position.Support), (e.State, e.Position));
    }

    [Fact]
    public void A_suspended_member_has_no_voice() =>
        Then.Refused(DraftDecide.RecordPosition(Draft(D(2013, 5, 1)), Roster2024, "UZB", Position.Support), "STATE_HAS_NO_VOICE");

    [Fact]
    public void A_state_that_is_not_a_member_has_no_voice() =>
        Then.Refused(DraftDecide.RecordPosition(Draft(D(2013, 5, 1)), Roster2024, "AZE", Position.Object), "STATE_HAS_NO_VOICE");

    [Fact]
    public void The_state_a_decision_is_about_has_no_voice_on_it() =>
        Then.Refused(DraftDecide.RecordPosition(Draft(D(2012, 12, 19), Suspend("UZB")), Members(), "UZB", Position.Object), "STATE_CONCERNED_HAS_NO_VOICE");

    [Fact]
    public void A_frozen_member_neither_supports_nor_objects_but_may_stay_out()
    {
        var draft = Draft(D(2024, 11, 28));
        Then.Refused(DraftDecide.RecordPosition(draft, Roster2024, "ARM", Position.Object), "PARTICIPATION_FROZEN");
        Then.Refused(DraftDecide.RecordPosition(draft, Roster2024, "ARM", Position.Support), "PARTICIPATION_FROZEN");
        Then.Single<PositionRecorded>(DraftDecide.RecordPosition(draft, Roster2024, "ARM", Position.NotParticipating));
    }

    [Fact]
    public void Staying_out_without_objecting_is_refused_before_the_2010_protocol_entered_into_force()
    {
        Then.Refused(DraftDecide.RecordPosition(Draft(D(2012, 12, 18)), Members(), "ARM", Position.NotParticipating), "LIMITED_FORMAT_NOT_IN_FORCE");
        Then.Single<PositionRecorded>(DraftDecide.RecordPosition(Draft(D(2012, 12, 19)), Members(), "ARM", Position.NotParticipating));
    }

    [Fact]
    public void A_second_position_from_the_same_state_is_refused_and_changing_it_is_an_explicit_act()
    {
        var draft = Draft(D(2022, 11, 23), positions: ("ARM", Position.Support));
        Then.Refused(DraftDecide.RecordPosition(draft, Members(), "ARM", Position.Object), "POSITION_ALREADY_RECORDED");
        var change = Then.Single<PositionChanged>(DraftDecide.ChangePosition(draft, Members(), "ARM", Position.Object));
        Assert.Equal((Position.Support, Position.Object), (change.OldPosition, change.NewPosition));
        Then.Invalid(DraftDecide.ChangePosition(draft, Members(), "ARM", Position.Support), "position");
        Then.Refused(DraftDecide.ChangePosition(draft, Members(), "KAZ", Position.Object), "POSITION_NOT_RECORDED");
    }

    [Fact]
    public void Positions_on_a_closed_draft_are_refused()
    {
        var draft = Draft(D(2022, 11, 23)).Apply(new DraftWithdrawn { Draft = "drafts/d1" });
        Then.Refused(DraftDecide.RecordPosition(draft, Members(), "KAZ", Position.Support), "DRAFT_CLOSED");
    }

    [Fact]
    public void A_malformed_state_or_missing_position_names_the_field()
    {
        Then.Invalid(DraftDecide.RecordPosition(Draft(D(2022, 11, 23)), Members(), "kz", Position.Support), "state");
        Then.Invalid(DraftDecide.RecordPosition(Draft(D(2022, 11, 23)), Members(), "KAZ", Position.Unspecified), "position");
    }
}

public sealed class OutcomeSpecs
{
    [Fact]
    public void Consensus_adopts_when_every_state_with_a_voice_supports_and_binds_them_all()
    {
        var draft = Draft(D(2022, 11, 23), positions: All(Position.Support, [.. Founders, "UZB"]));
        var adopted = Then.First<DecisionAdopted>(DraftDecide.Close(draft, Csc, Tree, Members(), Decide));
        Assert.Equal(DecisionRule.Consensus, adopted.Rule);
        Assert.Equal(7, adopted.Counts.Support);
        Assert.Equal([.. Founders, "UZB"], adopted.BoundStates);
        Assert.Empty(adopted.MayJoinStates);
        Assert.Equal("Statement", adopted.Payload.CollectiveStatement.Title);
        Assert.Equal(D(2022, 11, 23).ToProto(), adopted.EffectiveDate);
    }

    [Fact]
    public void One_objection_returns_the_draft_for_revision()
    {
        var draft = Draft(D(2022, 11, 23), positions: [.. All(Position.Support, "BLR", "KAZ", "KGZ", "RUS", "TJK"), ("ARM", Position.Object)]);
        var returned = Then.Single<DecisionReturned>(DraftDecide.Close(draft, Csc, Tree, Members(("UZB", MemberStatus.Suspended, D(2012, 12, 19))), Decide));
        Assert.Equal(["ARM"], returned.ObjectingStates);
        Assert.Equal(1, returned.Counts.Object);
        Assert.Contains("objected by ARM", returned.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_draft_nobody_supports_is_returned()
    {
        var returned = Then.Single<DecisionReturned>(DraftDecide.Close(Draft(D(2022, 11, 23)), Csc, Tree, Members(), Decide));
        Assert.Equal(7, returned.Counts.Absent);
    }

    [Fact]
    public void In_a_limited_format_states_not_participating_are_not_bound_and_may_join()
    {
        var roster = Members(("UZB", MemberStatus.Suspended, D(2012, 12, 19)));
        var draft = Draft(D(2023, 11, 23), positions: [.. All(Position.Support, "BLR", "KAZ", "KGZ", "RUS", "TJK"), ("ARM", Position.NotParticipating)]);
        var adopted = Then.First<DecisionAdopted>(DraftDecide.Close(draft, Csc, Tree, roster, Decide));
        Assert.Equal(DecisionRule.LimitedFormat, adopted.Rule);
        Assert.Equal(["BLR", "KAZ", "KGZ", "RUS", "TJK"], adopted.BoundStates);
        Assert.Equal(["ARM"], adopted.MayJoinStates);
        Assert.Equal(["UZB"], adopted.ExcludedStates);
    }

    [Fact]
    public void A_frozen_member_that_says_nothing_stays_out_and_does_not_block()
    {
        var draft = Draft(D(2024, 11, 28), positions: All(Position.Support, "BLR", "KAZ", "KGZ", "RUS", "TJK"));
        var adopted = Then.First<DecisionAdopted>(DraftDecide.Close(draft, Csc, Tree, Roster2024, Decide));
        Assert.Equal(DecisionRule.LimitedFormat, adopted.Rule);
        Assert.Equal(1, adopted.Counts.NotParticipating);
        Assert.Equal(["ARM"], adopted.MayJoinStates);
    }

    [Fact]
    public void A_frozen_member_takes_no_part_its_objection_does_not_block_and_it_is_not_bound()
    {
        // domain.md, Armenia 2024: "not objecting to the adoption of this decision in a limited format"
        var draft = Draft(D(2024, 11, 28), positions: [.. All(Position.Support, "BLR", "KAZ", "KGZ", "RUS", "TJK"), ("ARM", Position.Object)]);
        var adopted = Then.First<DecisionAdopted>(DraftDecide.Close(draft, Csc, Tree, Roster2024, Decide));
        Assert.Equal(DecisionRule.LimitedFormat, adopted.Rule);
        Assert.DoesNotContain("ARM", adopted.BoundStates);
        Assert.Contains(adopted.Positions, p => p.State == "ARM" && p.Position == Position.NotParticipating);
        Assert.Contains("Not participating, not bound: ARM (participation frozen: takes no part).", adopted.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_suspension_is_decided_without_the_voice_of_the_state_concerned()
    {
        var draft = Draft(D(2012, 12, 19), Suspend("UZB"), positions: All(Position.Support, Founders));
        var adopted = Then.First<DecisionAdopted>(DraftDecide.Close(draft, Csc, Tree, Members(), Decide));
        Assert.Equal(DecisionRule.Consensus, adopted.Rule);
        Assert.Equal(["UZB"], adopted.ExcludedStates);
        Assert.Equal(Founders, adopted.BoundStates);
        Assert.Equal(6, adopted.Counts.Support + adopted.Counts.Object + adopted.Counts.NotParticipating + adopted.Counts.Absent);
        Assert.Contains("about UZB", adopted.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_procedural_question_passes_by_simple_majority_of_the_states_present_where_the_rules_say_so()
    {
        var draft = Draft(D(2022, 11, 23), new() { General = new GeneralDecision { Title = "Agenda" } }, procedural: true,
            positions: [.. All(Position.Support, "BLR", "KAZ", "KGZ", "RUS"), .. All(Position.Object, "ARM", "TJK")]);
        var adopted = Then.First<DecisionAdopted>(DraftDecide.Close(draft, Csc, Tree, Members(), Decide));
        Assert.Equal(DecisionRule.SimpleMajority, adopted.Rule);
        Assert.Equal(["UZB"], adopted.MayJoinStates); // absent
        Assert.Equal(6, adopted.BoundStates.Count);

        var tie = Draft(D(2022, 11, 23), new() { General = new GeneralDecision { Title = "Agenda" } }, procedural: true,
            positions: [.. All(Position.Support, "BLR", "KAZ", "KGZ"), .. All(Position.Object, "ARM", "TJK", "RUS")]);
        Assert.Equal(DecisionRule.SimpleMajority, Then.Single<DecisionReturned>(DraftDecide.Close(tie, Csc, Tree, Members(), Decide)).Rule);
    }

    [Fact]
    public void Counts_that_do_not_match_the_positions_are_refused()
    {
        var draft = Draft(D(2022, 11, 23), positions: All(Position.Support, [.. Founders, "UZB"]));
        Then.Refused(DraftDecide.Close(draft, Csc, Tree, Members(), new CloseDraft(CloseAction.Decide, new PositionCounts { Support = 6 }, "")), "COUNTS_MISMATCH");
        Then.First<DecisionAdopted>(DraftDecide.Close(draft, Csc, Tree, Members(), new CloseDraft(CloseAction.Decide, new PositionCounts { Support = 7 }, "")));
    }

    [Fact]
    public void A_withdrawn_draft_is_closed_without_an_outcome_and_cannot_be_closed_again()
    {
        var withdrawn = Then.Single<DraftWithdrawn>(DraftDecide.Close(Draft(D(2022, 11, 23)), Csc, Tree, Members(), new CloseDraft(CloseAction.Withdraw, null, "replaced")));
        Assert.Equal("replaced", withdrawn.Reason);
        Then.Refused(DraftDecide.Close(Draft(D(2022, 11, 23)).Apply(withdrawn), Csc, Tree, Members(), Decide), "DRAFT_CLOSED");
    }

    [Fact]
    public void An_absent_state_joins_later_and_is_bound_from_that_date()
    {
        var draft = Draft(D(2022, 11, 23), positions: All(Position.Support, Founders));
        var adopted = Then.First<DecisionAdopted>(DraftDecide.Close(draft, Csc, Tree, Members(), Decide));
        Assert.Equal(["UZB"], adopted.MayJoinStates);
        var closed = draft.Apply(adopted);
        var joined = Then.Single<DecisionJoined>(DraftDecide.Join(closed, Members(), "UZB", D(2023, 1, 10).ToProto()));
        Assert.Equal(D(2023, 1, 10).ToProto(), joined.JoinedOn);
        Then.Refused(DraftDecide.Join(closed, Members(), "KAZ", D(2023, 1, 10).ToProto()), "ALREADY_BOUND");
        Then.Refused(DraftDecide.Join(closed.Apply(joined), Members(), "UZB", D(2023, 2, 10).ToProto()), "ALREADY_BOUND");
        Then.Refused(DraftDecide.Join(closed, Members(), "AZE", D(2023, 1, 10).ToProto()), "STATE_MAY_NOT_JOIN");
        Then.Invalid(DraftDecide.Join(closed, Members(), "UZB", D(2022, 1, 10).ToProto()), "joined_on");
        Then.Refused(DraftDecide.Join(draft, Members(), "UZB", D(2023, 1, 10).ToProto()), "DECISION_NOT_ADOPTED");
    }
}

public sealed class TablingSpecs
{
    static Verdict Table(DecisionPayload payload, DateOnly date, string body = "csc", bool procedural = false, RosterView? roster = null) =>
        DraftDecide.Table(Session(date, body), Tree[body], Tree, roster ?? Members(), new TableDraft("d1", "Draft", payload, procedural, null));

    [Fact]
    public void A_body_may_take_only_its_kinds_of_decision()
    {
        Then.Refused(Table(new() { AppointSecretaryGeneral = new AppointSecretaryGeneral { PersonName = "X", Citizenship = "KAZ", TermStart = D(2023, 1, 1).ToProto() } }, D(2022, 11, 23), "cmfa"), "KIND_NOT_ALLOWED_FOR_BODY");
        Then.Single<DraftTabled>(Table(Statement, D(2022, 11, 23), "cmfa"));
    }

    [Fact]
    public void A_procedural_question_needs_rules_of_procedure_that_allow_a_majority() =>
        Then.Refused(Table(new() { General = new GeneralDecision { Title = "x" } }, D(2022, 11, 23), "military-committee", procedural: true), "NO_PROCEDURAL_MAJORITY");

    [Fact]
    public void A_draft_without_a_kind_or_title_names_the_field()
    {
        Then.Invalid(Table(new DecisionPayload(), D(2022, 11, 23)), "payload");
        Then.Invalid(DraftDecide.Table(Session(D(2022, 11, 23)), Csc, Tree, Members(), new TableDraft("d1", " ", Statement, false, null)), "title");
    }

    [Fact]
    public void The_appointee_must_be_a_citizen_of_a_member_with_a_voice_and_the_term_is_three_years()
    {
        AppointSecretaryGeneral Appoint(string citizenship, DateOnly? end = null) => new()
        {
            PersonName = "Imangali Tasmagambetov",
            Citizenship = citizenship,
            TermStart = D(2023, 1, 1).ToProto(),
            TermEnd = end?.ToProto(),
        };
        Then.Refused(Table(new() { AppointSecretaryGeneral = Appoint("AZE") }, D(2022, 11, 23)), "APPOINTEE_NOT_CITIZEN_OF_MEMBER_WITH_VOICE");
        Then.Refused(Table(new() { AppointSecretaryGeneral = Appoint("UZB") }, D(2022, 11, 23), roster: Roster2024), "APPOINTEE_NOT_CITIZEN_OF_MEMBER_WITH_VOICE");
        Then.Refused(Table(new() { AppointSecretaryGeneral = Appoint("KAZ", D(2026, 1, 1)) }, D(2022, 11, 23)), "TERM_LONGER_THAN_THREE_YEARS");
        Then.Invalid(Table(new() { AppointSecretaryGeneral = Appoint("kz") }, D(2022, 11, 23)), "payload.appoint_secretary_general.citizenship");

        var draft = Draft(D(2022, 11, 23), new() { AppointSecretaryGeneral = Appoint("KAZ") }, positions: All(Position.Support, Founders));
        var verdict = DraftDecide.Close(draft, Csc, Tree, Roster2024, Decide);
        var appointed = Assert.IsType<SecretaryGeneralAppointed>(verdict.Events[1]);
        Assert.Equal(D(2025, 12, 31).ToProto(), appointed.TermEnd);
    }

    [Fact]
    public void Suspending_restoring_and_admitting_follow_the_state_status()
    {
        Then.Refused(Table(Suspend("AZE"), D(2012, 12, 19)), "NOT_A_PARTICIPATING_MEMBER");
        Then.Refused(Table(new() { RestoreMember = new RestoreMember { State = "KAZ" } }, D(2013, 1, 1)), "NOT_SUSPENDED");
        Then.Single<DraftTabled>(Table(new() { RestoreMember = new RestoreMember { State = "UZB" } }, D(2013, 1, 1), roster: Roster2024));
        Then.Refused(Table(new() { AdmitMember = new AdmitMember { State = "UZB" } }, D(2013, 1, 1), roster: Roster2024), "ALREADY_A_MEMBER");
    }

    [Fact]
    public void Peacekeeping_outside_the_members_territory_needs_a_un_mandate() =>
        Then.Refused(Table(new() { AuthorizeOperation = new AuthorizeOperation { Name = "Blue", Kind = Csto.Common.V1.OperationKind.Peacekeeping, StartDate = D(2022, 1, 1).ToProto(), Permanent = true, OutsideMemberTerritory = true } }, D(2021, 12, 1)), "UN_MANDATE_REQUIRED");

    static DecisionPayload CrisisResponse(string requestedBy, string legalBasis = "Collective Security Treaty, Article 4") => new()
    {
        AuthorizeOperation = new AuthorizeOperation
        {
            Name = "CSTO Collective Peacekeeping Forces in Kazakhstan",
            Kind = Csto.Common.V1.OperationKind.CrisisResponse,
            StartDate = D(2022, 1, 6).ToProto(),
            EndDate = D(2022, 1, 19).ToProto(),
            RequestedBy = requestedBy,
            LegalBasis = legalBasis,
        },
    };

    [Fact]
    public void A_crisis_response_names_the_member_that_asked_for_help_and_the_legal_basis()
    {
        Then.Single<DraftTabled>(Table(CrisisResponse("KAZ"), D(2022, 1, 6)));
        Then.Invalid(Table(CrisisResponse(""), D(2022, 1, 6)), "payload.authorize_operation.requested_by");
        Then.Invalid(Table(CrisisResponse("Kazakhstan"), D(2022, 1, 6)), "payload.authorize_operation.requested_by");
        Then.Invalid(Table(CrisisResponse("KAZ", " "), D(2022, 1, 6)), "payload.authorize_operation.legal_basis");
    }

    [Fact]
    public void Only_a_member_with_a_voice_asks_for_a_crisis_response()
    {
        Then.Refused(Table(CrisisResponse("AZE"), D(2022, 1, 6)), "REQUESTING_STATE_NOT_A_MEMBER");
        Then.Refused(Table(CrisisResponse("UZB"), D(2022, 1, 6), roster: Roster2024), "REQUESTING_STATE_NOT_A_MEMBER");
        Then.Refused(Table(CrisisResponse("ARM"), D(2024, 3, 1), roster: Roster2024), "REQUESTING_STATE_NOT_A_MEMBER");
    }
}

public sealed class SessionSpecs
{
    static ConveneSession Convene(DateOnly date, string host = "RUS", bool regular = true) => new("s1", date, "Moscow", host, regular, SessionFormat.InPerson, []);

    [Fact]
    public void A_session_before_the_body_existed_is_refused() =>
        Then.Refused(SessionDecide.Convene(Tree["military-committee"], Members(), Convene(D(2012, 12, 18))), "SESSION_BEFORE_BODY_FOUNDED");

    [Fact]
    public void A_working_body_holds_no_deciding_sessions() =>
        Then.Refused(SessionDecide.Convene(Tree["secretariat"], Members(), Convene(D(2012, 12, 18))), "BODY_TAKES_NO_DECISIONS");

    [Fact]
    public void The_host_of_a_regular_council_session_takes_the_chair()
    {
        var verdict = SessionDecide.Convene(Csc, Members(), Convene(D(2013, 9, 23)));
        var chair = Assert.IsType<ChairAssumed>(verdict.Events[1]);
        Assert.Equal(("RUS", ChairBasis.HostOfRegularSession), (chair.State, chair.Basis));
        Assert.Single(SessionDecide.Convene(Csc, Members(), Convene(D(2013, 9, 23), regular: false)).Events);
        Then.Refused(SessionDecide.Convene(Csc, Roster2024, Convene(D(2013, 9, 23), host: "UZB")), "HOST_NOT_A_MEMBER_WITH_VOICE");
        Then.Invalid(SessionDecide.Convene(Csc, Members(), Convene(D(2013, 9, 23), host: "Russia")), "host_state");
    }
}

public sealed class PostSpecs
{
    static ChairFact Chair(long position, string state, DateOnly from, ChairBasis basis) => new(position, new ChairAssumed { BodyId = "csc", State = state, FromDate = from.ToProto(), Basis = basis });

    [Fact]
    public void The_chair_follows_article_13_unless_the_council_decides_otherwise()
    {
        var facts = new[]
        {
            Chair(1, "KAZ", D(2011, 12, 20), ChairBasis.HostOfRegularSession),
            Chair(2, "RUS", D(2012, 12, 19), ChairBasis.HostOfRegularSession), // Moscow hosts...
            Chair(3, "KGZ", D(2012, 12, 19), ChairBasis.CouncilDecision), // ...and the Council hands the chair to Kyrgyzstan
            Chair(5, "TJK", D(2015, 9, 15), ChairBasis.HostOfRegularSession),
            Chair(4, "RUS", D(2013, 9, 23), ChairBasis.HostOfRegularSession),
        };
        Assert.Equal("KAZ", Posts.Posts.ChairOn(facts, D(2012, 12, 18))!.State);
        Assert.Equal("KGZ", Posts.Posts.ChairOn(facts, D(2012, 12, 19))!.State);
        Assert.Equal("RUS", Posts.Posts.ChairOn(facts, D(2014, 6, 1))!.State);
        Assert.Equal("TJK", Posts.Posts.ChairOn(facts, D(2015, 9, 16))!.State);
        Assert.Null(Posts.Posts.ChairOn(facts, D(2010, 1, 1)));
    }

    [Fact]
    public void A_council_decision_assigning_the_chair_records_who_chairs_from_when()
    {
        var draft = Draft(D(2014, 12, 23), new() { AssignChairmanship = new AssignChairmanship { State = "TJK", FromDate = D(2015, 1, 1).ToProto() } }, positions: All(Position.Support, Founders));
        var chair = Assert.IsType<ChairAssumed>(DraftDecide.Close(draft, Csc, Tree, Roster2024, Decide).Events[1]);
        Assert.Equal(("TJK", ChairBasis.CouncilDecision, "decisions/d1"), (chair.State, chair.Basis, chair.Decision));
    }

    static AppointmentFact A(long p, string name, DateOnly start, DateOnly end, bool acting = false) =>
        new(p, new SecretaryGeneralAppointed { Decision = "decisions/sg-" + p, PersonName = name, TermStart = start.ToProto(), TermEnd = end.ToProto(), Acting = acting });

    static TermEndFact Recall(long p, string name, DateOnly lastDay) =>
        new(p, new SecretaryGeneralTermEnded { Decision = "decisions/recall-" + p, PersonName = name, LastDay = lastDay.ToProto(), Reason = TermEndReason.Recalled });

    [Fact]
    public void The_secretary_general_on_a_date_is_the_term_in_force_and_a_recall_ends_it_on_its_last_day()
    {
        var terms = Posts.Posts.Terms(
            [A(1, "Khachaturov", D(2017, 1, 1), D(2019, 12, 31)), A(3, "Semerikov", D(2018, 11, 3), D(2019, 12, 31), acting: true), A(4, "Zas", D(2020, 1, 1), D(2022, 12, 31))],
            [Recall(2, "Khachaturov", D(2018, 11, 2))]);

        Assert.Equal("Khachaturov", Posts.Posts.SecretaryGeneralOn(terms, D(2018, 11, 2))!.PersonName);
        Assert.Equal("Semerikov", Posts.Posts.SecretaryGeneralOn(terms, D(2018, 11, 3))!.PersonName);
        Assert.True(Posts.Posts.SecretaryGeneralOn(terms, D(2019, 1, 1))!.Acting);
        Assert.Equal("Zas", Posts.Posts.SecretaryGeneralOn(terms, D(2022, 12, 31))!.PersonName);
        Assert.Null(Posts.Posts.SecretaryGeneralOn(terms, D(2023, 1, 1)));
        var khachaturov = terms[0];
        Assert.Equal((D(2018, 11, 2).ToProto(), TermEndReason.Recalled, "decisions/recall-2"), (khachaturov.EndedOn, khachaturov.EndReason, khachaturov.EndedBy));
        Assert.Equal(D(2019, 12, 31).ToProto(), khachaturov.TermEnd); // the term as appointed stays on record
    }

    [Fact]
    public void Without_the_recall_the_recalled_holder_would_still_be_in_office()
    {
        // the case the recall exists for: Khachaturov's appointed term runs to 2019
        var terms = Posts.Posts.Terms([A(1, "Khachaturov", D(2017, 1, 1), D(2019, 12, 31))], []);
        Assert.Equal("Khachaturov", Posts.Posts.SecretaryGeneralOn(terms, D(2018, 11, 5))!.PersonName);
        Assert.Null(Posts.Posts.SecretaryGeneralOn(Posts.Posts.Terms([A(1, "Khachaturov", D(2017, 1, 1), D(2019, 12, 31))], [Recall(2, "Khachaturov", D(2018, 11, 2))]), D(2018, 11, 5)));
    }

    [Fact]
    public void A_reappointment_of_the_same_person_is_a_new_term_marked_as_such()
    {
        var terms = Posts.Posts.Terms([A(2, "Nikolai Bordyuzha", D(2006, 4, 28), D(2009, 4, 27)), A(1, "Nikolai Bordyuzha", D(2003, 4, 28), D(2006, 4, 27)), A(3, "Yuri Khachaturov", D(2017, 1, 1), D(2019, 12, 31))], []);
        Assert.Equal([false, true, false], terms.Select(t => t.Reappointment));
        Assert.Equal("Nikolai Bordyuzha", Posts.Posts.SecretaryGeneralOn(terms, D(2008, 1, 1))!.PersonName);
    }

    [Fact]
    public void A_recall_is_recorded_only_for_the_holder_in_office_on_its_last_day()
    {
        var terms = Posts.Posts.Terms([A(1, "Yuri Khachaturov", D(2017, 1, 1), D(2019, 12, 31))], []);
        DecisionPayload End(string name, DateOnly day) => new() { EndSecretaryGeneralTerm = new EndSecretaryGeneralTerm { PersonName = name, LastDay = day.ToProto(), Reason = TermEndReason.Recalled, Grounds = "recalled by Armenia" } };

        var ended = Assert.IsType<SecretaryGeneralTermEnded>(DraftDecide.Close(Draft(D(2018, 11, 8), End("Yuri Khachaturov", D(2018, 11, 2)), positions: All(Position.Support, Founders)), Csc, Tree, Members(), Decide, terms).Events[1]);
        Assert.Equal(("decisions/sg-1", TermEndReason.Recalled), (ended.Appointment, ended.Reason));
        Then.Refused(DraftDecide.Close(Draft(D(2018, 11, 8), End("Valery Semerikov", D(2018, 11, 2)), positions: All(Position.Support, Founders)), Csc, Tree, Members(), Decide, terms), "NOT_IN_OFFICE");
        Then.Refused(DraftDecide.Close(Draft(D(2020, 11, 8), End("Yuri Khachaturov", D(2020, 1, 2)), positions: All(Position.Support, Founders)), Csc, Tree, Members(), Decide, terms), "NOT_IN_OFFICE");
    }

    [Fact]
    public void Chairs_are_listed_with_the_last_day_of_each_and_the_current_one_open()
    {
        var chairs = Posts.Posts.Chairs(
        [
            Chair(2, "KGZ", D(2012, 12, 19), ChairBasis.HandoverAtSession),
            Chair(1, "KAZ", D(2011, 12, 20), ChairBasis.HandoverAtSession),
            Chair(3, "RUS", D(2013, 9, 23), ChairBasis.HostOfRegularSession),
        ]);
        Assert.Equal(["KAZ", "KGZ", "RUS"], chairs.Select(c => c.State));
        Assert.Equal(D(2012, 12, 18).ToProto(), chairs[0].Until);
        Assert.Equal(D(2013, 9, 22).ToProto(), chairs[1].Until);
        Assert.Null(chairs[2].Until);
    }
}

public sealed class HandoverSpecs
{
    static ConveneSession Convene(DateOnly date, string host, string handedTo, bool regular = true) => new("s1", date, "Minsk", host, regular, SessionFormat.InPerson, [], handedTo);

    [Fact]
    public void A_regular_council_session_hands_the_chair_to_the_next_state_not_to_its_host()
    {
        var verdict = SessionDecide.Convene(Csc, Members(), Convene(D(2017, 11, 30), "BLR", "KAZ"));

        var chair = Assert.IsType<ChairAssumed>(verdict.Events[1]);
        Assert.Equal(("KAZ", ChairBasis.HandoverAtSession, D(2017, 11, 30).ToProto(), "sessions/s1"), (chair.State, chair.Basis, chair.FromDate, chair.Session));
        Assert.Equal("KAZ", Assert.IsType<SessionConvened>(verdict.Events[0]).ChairHandedTo);
        var facts = new[] { new ChairFact(1, new ChairAssumed { State = "BLR", FromDate = D(2016, 10, 14).ToProto(), Basis = ChairBasis.HandoverAtSession }), new ChairFact(2, chair) };
        Assert.Equal("BLR", Posts.Posts.ChairOn(facts, D(2017, 6, 1))!.State);
        Assert.Equal("KAZ", Posts.Posts.ChairOn(facts, D(2017, 11, 30))!.State);
    }

    [Fact]
    public void A_state_without_a_voice_cannot_take_the_chair()
    {
        Then.Refused(SessionDecide.Convene(Csc, Roster2024, Convene(D(2013, 9, 23), "RUS", "UZB")), "CHAIR_NOT_A_MEMBER_WITH_VOICE"); // suspended
        Then.Refused(SessionDecide.Convene(Csc, Roster2024, Convene(D(2024, 11, 28), "KAZ", "ARM")), "CHAIR_NOT_A_MEMBER_WITH_VOICE"); // frozen
        Then.Refused(SessionDecide.Convene(Csc, Members(), Convene(D(2013, 9, 23), "RUS", "AZE")), "CHAIR_NOT_A_MEMBER_WITH_VOICE"); // not a member
    }

    [Fact]
    public void Only_a_regular_council_session_hands_the_chair_over()
    {
        Then.Invalid(SessionDecide.Convene(Csc, Members(), Convene(D(2022, 1, 6), "ARM", "KAZ", regular: false)), "chair_handed_to");
        Then.Invalid(SessionDecide.Convene(Tree["cmfa"], Members(), Convene(D(2022, 1, 6), "ARM", "KAZ")), "chair_handed_to");
        Then.Invalid(SessionDecide.Convene(Csc, Members(), Convene(D(2022, 1, 6), "ARM", "Kazakhstan")), "chair_handed_to");
    }

    [Fact]
    public void A_host_without_a_voice_may_hold_a_session_that_hands_the_chair_to_a_member_with_one()
    {
        var verdict = SessionDecide.Convene(Csc, Roster2024, Convene(D(2024, 11, 28), "ARM", "RUS"));
        Assert.Equal("RUS", Assert.IsType<ChairAssumed>(verdict.Events[1]).State);
    }
}

public sealed class BodySpecs
{
    static DecisionPayload Establish(string id, string name, string parent) => new() { EstablishBody = new EstablishBody { BodyId = id, Name = name, ParentBodyId = parent } };

    static Verdict Table(DecisionPayload payload) =>
        DraftDecide.Table(Session(D(2012, 12, 19)), Csc, Tree, Members(), new TableDraft("d1", "Draft", payload, false, null));

    [Fact]
    public void Establishing_a_body_that_exists_is_refused_as_already_existing()
    {
        Then.Exists(Table(Establish("military-committee", "Military Committee", "cmd")), "bodies/military-committee");
        // another id, same name under the same parent: the same body
        Then.Exists(Table(Establish("military-committee-2012", "military  committee", "cmd")), "bodies/military-committee");
        // the same name elsewhere in the tree is another body
        Then.Single<DraftTabled>(Table(Establish("csc-military-committee", "Military Committee", "csc")));
    }

    [Fact]
    public void A_draft_establishing_a_body_that_another_decision_established_meanwhile_is_refused_when_closed()
    {
        var draft = Draft(D(2012, 12, 19), Establish("military-committee-2012", "Military Committee", "cmd"), positions: All(Position.Support, Founders));
        var verdict = DraftDecide.Close(draft, Csc, Tree, Members(), Decide);
        Then.Exists(verdict, "bodies/military-committee");
    }

    [Fact]
    public void An_observer_of_a_body_is_a_non_member_from_a_date()
    {
        var pa = Tree["parliamentary-assembly"];
        var admitted = Then.Single<BodyObserverAdmitted>(Observers.Admit(pa, [], Members(), new AdmitBodyObserver("SRB", Csto.Operations.V1.ObserverKind.State, D(2014, 1, 1).ToProto(), "Serbia")));
        Assert.Equal(("parliamentary-assembly", "SRB"), (admitted.BodyId, admitted.Observer));
        var observers = new List<BodyObserver> { Observers.ToView(admitted, null) };

        Then.Refused(Observers.Admit(pa, observers, Members(), new AdmitBodyObserver("SRB", Csto.Operations.V1.ObserverKind.State, D(2015, 1, 1).ToProto(), "")), "ALREADY_OBSERVER");
        Then.Refused(Observers.Admit(pa, [], Members(), new AdmitBodyObserver("KAZ", Csto.Operations.V1.ObserverKind.State, D(2014, 1, 1).ToProto(), "")), "OBSERVER_IS_A_MEMBER");
        Then.Refused(Observers.Admit(pa, [], Members(), new AdmitBodyObserver("AFG", Csto.Operations.V1.ObserverKind.State, D(2005, 1, 1).ToProto(), "")), "BODY_NOT_FOUNDED");
        Then.Invalid(Observers.Admit(pa, [], Members(), new AdmitBodyObserver("Serbia", Csto.Operations.V1.ObserverKind.State, D(2014, 1, 1).ToProto(), "")), "observer");
        Then.Invalid(Observers.Admit(pa, [], Members(), new AdmitBodyObserver("SRB", Csto.Operations.V1.ObserverKind.Unspecified, D(2014, 1, 1).ToProto(), "")), "kind");

        var ended = Then.Single<BodyObserverEnded>(Observers.End(pa, observers, new EndBodyObserver("SRB", D(2020, 1, 1).ToProto(), "")));
        Observers.Apply(observers, ended);
        Assert.Equal(D(2020, 1, 1).ToProto(), observers[0].EndedOn);
        Then.Refused(Observers.End(pa, observers, new EndBodyObserver("SRB", D(2021, 1, 1).ToProto(), "")), "NOT_AN_OBSERVER");
    }
}

public sealed class RelationSpecs
{
    static Relations.RecordRelation Relation(string counterpart, RelationKind kind, DateOnly date) => new("r1", counterpart, kind, date.ToProto(), "", "");

    [Fact]
    public void A_relation_names_its_counterpart_and_kind_and_does_not_precede_the_treaty()
    {
        var recorded = Then.Single<ExternalRelationRecorded>(Relations.Relations.Record(Relation("UN General Assembly", RelationKind.ObserverStatus, D(2004, 12, 2))));
        Assert.Equal(("relations/r1", "UN General Assembly"), (recorded.Relation, recorded.Counterpart));
        Then.Invalid(Relations.Relations.Record(Relation(" ", RelationKind.ObserverStatus, D(2004, 12, 2))), "counterpart");
        Then.Invalid(Relations.Relations.Record(Relation("UN", RelationKind.Unspecified, D(2004, 12, 2))), "kind");
        Then.Refused(Relations.Relations.Record(Relation("UN", RelationKind.Memorandum, D(1991, 1, 1))), "BEFORE_THE_TREATY");
    }
}
