using System.Collections.Immutable;
using Csto.Common.V1;
using Csto.Operations.Shared;
using Csto.Operations.V1;
using Google.Protobuf;

namespace Csto.Operations.Operations;

/// <summary>One period of a state's participation: from its joining to its last day (open while it takes part).</summary>
public sealed record ParticipantPeriod(DateOnly JoinDate, DateOnly? LeftOn, string ReasonLeft)
{
    public bool Covers(DateOnly day) => day >= JoinDate && (LeftOn is null || day <= LeftOn);
}

/// <summary>
/// A participating state and its periods of participation, oldest first: joining opens a period, leaving closes it,
/// joining again (from a day after it left) opens the next one with the agencies it names then.
/// </summary>
public sealed record ParticipantState(string State, ImmutableArray<Agency> Agencies, ImmutableList<ParticipantPeriod> Periods)
{
    public ParticipantState(string state, ImmutableArray<Agency> agencies, DateOnly joinDate)
        : this(state, agencies, [new ParticipantPeriod(joinDate, null, "")])
    {
    }

    public ParticipantPeriod Latest => Periods[^1];

    /// <summary>Its latest joining.</summary>
    public DateOnly JoinDate => Latest.JoinDate;

    /// <summary>The last day of its latest period; null while it takes part.</summary>
    public DateOnly? LeftOn => Latest.LeftOn;

    public bool HasLeft => Latest.LeftOn is not null;

    /// <summary>It takes part on the day (whatever its voice on it).</summary>
    public bool TakesPartOn(DateOnly day) => Periods.Any(p => p.Covers(day));

    public ParticipantState Rejoined(ImmutableArray<Agency> agencies, DateOnly day) => this with { Agencies = agencies, Periods = Periods.Add(new ParticipantPeriod(day, null, "")) };

    public ParticipantState Left(DateOnly day, string reason) => this with { Periods = Periods.SetItem(Periods.Count - 1, Latest with { LeftOn = day, ReasonLeft = reason }) };
}

/// <summary>Figures a source reported as a whole (never added into the reports' totals); <paramref name="EventId"/> recorded them.</summary>
public sealed record PublishedState(string EventId, string Stage, DateOnly? From, DateOnly AsOf, PublishedFigures Figures, string Description, Provenance? Provenance = null);

public sealed record ObserverState(string Observer, ObserverKind Kind, DateOnly AdmittedOn, string Stage);

public sealed record StageState(string Id, string Name, string DisplayName, DateOnly Start, DateOnly End, bool Closed);

/// <summary>One version of a report: the original (version 1, dated the report date) or a correction.</summary>
public sealed record ReportVersion(int Version, DateOnly Date, OutcomeFigures Figures, string Reason, Provenance? Provenance = null);

public sealed record ReportState(string Id, string Name, string State, string Stage, DateOnly ReportDate, ImmutableList<ReportVersion> Versions)
{
    public ReportVersion Latest => Versions[^1];

    /// <summary>The latest version made on or before <paramref name="asOf"/>; null when the report is dated later.</summary>
    public ReportVersion? AsOf(DateOnly asOf) => ReportDate > asOf ? null : Versions.LastOrDefault(v => v.Date <= asOf) ?? Versions[0];
}

/// <summary>A decision that changed (or, superseded, would have changed) the operation after its authorization.</summary>
public sealed record LaterDecision(string Decision, DateOnly EffectiveDate);

/// <summary>An operation folded from its stream "operation-{id}".</summary>
public sealed record OperationState(
    string Id,
    string DisplayName,
    OperationKind Kind,
    DateOnly Start,
    DateOnly? End,
    bool Permanent,
    string Decision,
    string BodyId,
    string UnMandateReference,
    bool OutsideMemberTerritory,
    string RequestedBy,
    string LegalBasis,
    ImmutableArray<string> PlannedStages,
    ImmutableList<LaterDecision> LaterDecisions,
    bool Closed,
    ImmutableDictionary<string, ParticipantState> Participants,
    ImmutableDictionary<string, ObserverState> Observers,
    ImmutableDictionary<string, StageState> Stages,
    ImmutableDictionary<string, ReportState> Reports,
    ImmutableList<PublishedState> Published,
    long Version)
{
    /// <summary>Where the operation's record comes from: the provenance of its OperationOpened (the authorizing decision's).</summary>
    public Provenance? Provenance { get; init; }

    public string Name => Ids.OperationName(Id);

    /// <summary>The day lies within the operation's dates (start to end, or open-ended when permanent).</summary>
    public bool Covers(DateOnly day) => day >= Start && (End is null || day <= End);

    public static OperationState? Fold(IEnumerable<IMessage> events) => events.Aggregate((OperationState?)null, Evolve);

    /// <summary>The later decisions in the order of their effective dates (then names): the same whatever the order they arrived in.</summary>
    public IEnumerable<string> LaterDecisionsInOrder => LaterDecisions.OrderBy(d => d.EffectiveDate).ThenBy(d => d.Decision, StringComparer.Ordinal).Select(d => d.Decision);

    public static OperationState? Evolve(OperationState? state, IMessage e) => Evolve(state, e, "");

    /// <summary>The state after the event whose record has <paramref name="eventId"/> (kept where the view cites its source).</summary>
    public static OperationState? Evolve(OperationState? state, IMessage e, string eventId) => Evolve(state, e, eventId, null);

    /// <summary>As above, with the provenance of the record's write (kept where the view shows where a fact comes from).</summary>
    public static OperationState? Evolve(OperationState? state, IMessage e, string eventId, Provenance? provenance)
    {
        if (e is DecisionHeld)
        {
            return state; // held decisions belong to the stream (OperationStream), not yet to the operation
        }

        var next = e switch
        {
            OperationOpened o => new OperationState(
                Ids.OperationIdOf(o.Operation) ?? throw new ArgumentException("bad operation name", nameof(e)),
                o.DisplayName, o.Kind, o.StartDate.ToDateOnly(), o.EndDate?.ToDateOnly(), o.Permanent, o.Decision, o.BodyId,
                o.UnMandateReference, o.OutsideMemberTerritory, o.RequestedBy, o.LegalBasis, [.. o.PlannedStageNames], [], false,
                ImmutableDictionary.Create<string, ParticipantState>(StringComparer.Ordinal),
                ImmutableDictionary.Create<string, ObserverState>(StringComparer.Ordinal),
                ImmutableDictionary.Create<string, StageState>(StringComparer.Ordinal),
                ImmutableDictionary.Create<string, ReportState>(StringComparer.Ordinal),
                [],
                0) { Provenance = provenance },
            _ when state is null => throw new InvalidOperationException($"{e.Descriptor.Name} before OperationOpened"),
            OperationExtended x => state with { End = x.NewEndDate?.ToDateOnly(), Permanent = x.Permanent, LaterDecisions = state.LaterDecisions.Add(new(x.Decision, x.EffectiveDate.ToDateOnly())) },
            DecisionSuperseded x => state with { LaterDecisions = state.LaterDecisions.Add(new(x.Decision, x.EffectiveDate.ToDateOnly())) },
            OperationClosed c => state with
            {
                Closed = true,
                End = c.EndDate.ToDateOnly(),
                Permanent = false,
                LaterDecisions = c.Decision.Length > 0 ? state.LaterDecisions.Add(new(c.Decision, (c.DecisionEffectiveDate ?? c.EndDate).ToDateOnly())) : state.LaterDecisions,
            },
            ParticipantJoined p => state with
            {
                Participants = state.Participants.SetItem(p.State, state.Participants.TryGetValue(p.State, out var before)
                    ? before.Rejoined([.. p.Agencies], p.JoinDate.ToDateOnly())
                    : new ParticipantState(p.State, [.. p.Agencies], p.JoinDate.ToDateOnly())),
            },
            ParticipantLeft l => state with { Participants = state.Participants.SetItem(l.State, state.Participants[l.State].Left(l.LeftOn.ToDateOnly(), l.Reason)) },
            ObserverAdmitted a => state with { Observers = state.Observers.SetItem(a.Observer, new ObserverState(a.Observer, a.Kind, a.AdmittedOn.ToDateOnly(), a.Stage)) },
            StageStarted s => state with
            {
                Stages = state.Stages.SetItem(s.Stage, new StageState(Ids.ChildOf(s.Stage, "stages")!.Value.Child, s.Stage, s.DisplayName, s.StartDate.ToDateOnly(), s.EndDate.ToDateOnly(), false)),
            },
            StageClosed s => state with { Stages = state.Stages.SetItem(s.Stage, state.Stages[s.Stage] with { Closed = true }) },
            OutcomeReported r => state with
            {
                Reports = state.Reports.SetItem(r.Report, new ReportState(
                    Ids.ChildOf(r.Report, "reports")!.Value.Child, r.Report, r.State, r.Stage, r.ReportDate.ToDateOnly(),
                    [new ReportVersion(1, r.ReportDate.ToDateOnly(), r.Figures, "", provenance)])),
            },
            OutcomeCorrected c => state with
            {
                Reports = state.Reports.SetItem(c.Report, state.Reports[c.Report] with
                {
                    Versions = state.Reports[c.Report].Versions.Add(new ReportVersion(c.Version, c.CorrectedOn.ToDateOnly(), c.Figures, c.Reason, provenance)),
                }),
            },
            PublishedTotalsRecorded t => state with
            {
                Published = state.Published.Add(new PublishedState(eventId, t.Stage, t.FromDate?.ToDateOnly(), t.AsOf.ToDateOnly(), t.Figures, t.Description, provenance)),
            },
            _ => state, // summaries and unknown future events do not change the state
        };
        return next with { Version = (state?.Version ?? 0) + 1 };
    }
}
