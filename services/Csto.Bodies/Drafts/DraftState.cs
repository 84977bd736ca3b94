using System.Collections.Immutable;
using Csto.Bodies.Shared;
using Csto.Bodies.V1;
using Google.Protobuf;

namespace Csto.Bodies.Drafts;

/// <summary>
/// A draft and the decision adopted from it are one entity (stream "decision-{id}"), so that closing a draft and
/// recording its outcome, and the facts an outcome causes (chair, Secretary General, new body), are one append.
/// </summary>
public sealed record DraftState(
    string Id,
    DraftTabled Tabled,
    ImmutableSortedDictionary<string, Position> Positions,
    DraftStatus Status,
    DecisionAdopted? Adopted,
    DecisionReturned? Returned,
    DraftWithdrawn? Withdrawn,
    ImmutableList<DecisionJoined> Joined,
    ImmutableList<OperationReportAttached> Reports)
{
    public DateOnly SessionDate => Tabled.SessionDate.ToDateOnly();

    public DateOnly EffectiveDate => Tabled.EffectiveDate is { } d ? d.ToDateOnly() : SessionDate;

    public string DraftName => "drafts/" + Id;

    public string DecisionName => "decisions/" + Id;

    /// <summary>Where the draft comes from (the provenance given when it was tabled).</summary>
    public Csto.Common.V1.Provenance? Provenance { get; init; }

    /// <summary>Where the recorded positions come from, when the writes of the positions gave another provenance.</summary>
    public Csto.Common.V1.Provenance? PositionsProvenance { get; init; }

    /// <summary>The draft of a stream's records (null: no draft was tabled there).</summary>
    public static DraftState? Of(IReadOnlyList<Csto.EventLog.V1.EventRecord> records)
    {
        var state = Fold(EventTypes.ParseAll(records));
        if (state is null)
        {
            return null;
        }

        var tabled = records.FirstOrDefault(r => r.Type == DraftTabled.Descriptor.FullName)?.Metadata?.Provenance;
        var positions = records.Where(r => r.Type == PositionRecorded.Descriptor.FullName || r.Type == PositionChanged.Descriptor.FullName)
            .Select(r => r.Metadata?.Provenance).FirstOrDefault(p => p is not null && !p.Equals(tabled));
        return state with { Provenance = tabled, PositionsProvenance = positions };
    }

    public static DraftState? Fold(IEnumerable<IMessage> events)
    {
        DraftState? state = null;
        foreach (var e in events)
        {
            state = state is null
                ? e is DraftTabled t ? Start(t) : null
                : state.Apply(e);
        }

        return state;
    }

    static DraftState Start(DraftTabled t) => new(
        t.Draft["drafts/".Length..], t, ImmutableSortedDictionary.Create<string, Position>(StringComparer.Ordinal), DraftStatus.Open, null, null, null, [], []);

    public DraftState Apply(IMessage e) => e switch
    {
        PositionRecorded p => this with { Positions = Positions.SetItem(p.State, p.Position) },
        PositionChanged c => this with { Positions = Positions.SetItem(c.State, c.NewPosition) },
        DecisionAdopted a => this with { Status = DraftStatus.Adopted, Adopted = a },
        DecisionReturned r => this with { Status = DraftStatus.Returned, Returned = r },
        DraftWithdrawn w => this with { Status = DraftStatus.Withdrawn, Withdrawn = w },
        DecisionJoined j => this with { Joined = Joined.Add(j) },
        OperationReportAttached o => this with { Reports = Reports.Add(o) },
        _ => this,
    };
}
