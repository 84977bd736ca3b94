using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.Membership.V1;
using Csto.Operations.Operations;
using Csto.Operations.Outcomes;
using Csto.EventLog.Roster;
using Csto.Operations.V1;
using Google.Protobuf;
using Xunit;

namespace Csto.Operations.Tests;

/// <summary>Building blocks of the Given/When/Then specs: decisions, operation histories, rosters, figures.</summary>
static class Given
{
    public static Date D(string iso)
    {
        var d = DateOnly.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);
        return new Date { Year = d.Year, Month = d.Month, Day = d.Day };
    }

    public static DateOnly Day(string iso) => DateOnly.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    public static DecisionAdopted Decision(DecisionPayload payload, string body = "csc", string id = "d-1", string effective = "2008-01-01") => new()
    {
        Decision = "decisions/" + id,
        BodyId = body,
        EffectiveDate = D(effective),
        SessionDate = D(effective),
        Payload = payload,
        Rule = DecisionRule.Consensus,
        BoundStates = { "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK" },
    };

    public static DecisionAdopted Authorize(
        string name = "Channel", OperationKind kind = OperationKind.AntiDrug, string start = "2008-01-01", string? end = null,
        bool permanent = true, string body = "csc", string mandate = "", bool outside = false, string id = "d-1")
    {
        var a = new AuthorizeOperation { Name = name, Kind = kind, StartDate = D(start), Permanent = permanent, UnMandateReference = mandate, OutsideMemberTerritory = outside };
        if (end is not null)
        {
            a.EndDate = D(end);
        }

        return Decision(new DecisionPayload { AuthorizeOperation = a }, body, id, start);
    }

    public static OperationOpened Opened(DecisionAdopted? decision = null) =>
        (OperationOpened)Authorization.Authorize(null, decision ?? Authorize()).Events.Single();

    /// <summary>"Channel", permanent since 2008-01-01, with the given history after its opening.</summary>
    public static OperationState Channel(params IMessage[] history) => OperationState.Fold([Opened(), .. history])!;

    public static OperationState Operation(DecisionAdopted decision, params IMessage[] history) => OperationState.Fold([Opened(decision), .. history])!;

    public static ParticipantJoined Joined(string state, string day = "2008-01-10", string operation = "operations/channel") =>
        new() { Operation = operation, State = state, JoinDate = D(day), Agencies = { Agency.DrugControl, Agency.Border } };

    public static ParticipantLeft Left(string state, string day, string reason = "contingent withdrawn", string operation = "operations/channel") =>
        new() { Operation = operation, State = state, LeftOn = D(day), Reason = reason };

    public static ObserverAdmitted Observing(string observer, ObserverKind kind = ObserverKind.State, string day = "2008-01-10") =>
        new() { Operation = "operations/channel", Observer = observer, Kind = kind, AdmittedOn = D(day) };

    public const string Outpost = "operations/channel/stages/channel-mountain-outpost";

    public static StageStarted MountainOutpost() => new()
    {
        Operation = "operations/channel", Stage = Outpost, DisplayName = "Channel-Mountain Outpost", StartDate = D("2025-05-18"), EndDate = D("2025-05-23"),
    };

    public static OutcomeReported Reported(string state, string day, OutcomeFigures figures, string id = "r1", string stage = "") => new()
    {
        Operation = "operations/channel", Report = "operations/channel/reports/" + id, State = state, Stage = stage, ReportDate = D(day),
        Figures = Figures.WithKgEquivalents(figures, KgConversion.Default),
    };

    public static OutcomeCorrected Corrected(string id, int version, string day, OutcomeFigures figures) => new()
    {
        Operation = "operations/channel", Report = "operations/channel/reports/" + id, Version = version, CorrectedOn = D(day), Reason = "recount",
        Figures = Figures.WithKgEquivalents(figures, KgConversion.Default),
    };

    public static Seizure Seized(Substance substance, double amount, Unit unit = Unit.Kilogram, Qualifier qualifier = Qualifier.Unspecified) =>
        new() { Substance = substance, Amount = amount, Unit = unit, Qualifier = qualifier };

    /// <summary>A figure's qualifier, e.g. Qualified("ammunition_rounds", Qualifier.AtLeast) for "more than 1,300 rounds".</summary>
    public static FigureQualifier Qualified(string field, Qualifier qualifier) => new() { Field = field, Qualifier = qualifier };

    /// <summary>Published figures recorded for Channel (or a stage of it), as the event that records them.</summary>
    public static PublishedTotalsRecorded Published(string asOf, PublishedFigures figures, string? from = null, string stage = "", string description = "cumulative figures") => new()
    {
        Operation = "operations/channel", Stage = stage, AsOf = D(asOf), FromDate = from is null ? null : D(from), Figures = figures, Description = description,
    };

    public static OutcomeFigures Seizures(params Seizure[] seizures)
    {
        var f = new OutcomeFigures();
        f.Seizures.AddRange(seizures);
        return f;
    }

    /// <summary>Members with a voice from 1994-04-20 (UZB from 2006-06-23), plus the given changes.</summary>
    public static RosterView Members(params (string State, MemberStatus Status, string Day)[] changes)
    {
        var entries = new List<RosterEntry>();
        foreach (var s in new[] { "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK" })
        {
            entries.Add(new RosterEntry(s, MemberStatus.Member, Day("1994-04-20"), 1));
        }

        entries.Add(new RosterEntry("UZB", MemberStatus.Member, Day("2006-06-23"), 1));
        var version = 10;
        entries.AddRange(changes.Select(c => new RosterEntry(c.State, c.Status, Day(c.Day), version++)));
        return new RosterView(entries);
    }
}
