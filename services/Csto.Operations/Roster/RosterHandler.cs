using Csto.EventLog;
using Csto.EventLog.Inbox;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Operations.Shared;
using Csto.Operations.V1;

namespace Csto.Operations.Roster;

/// <summary>
/// Keeps the roster from membership's MemberStatusChanged: each change is recorded once in "roster-{state}"
/// with its source stream version. A change whose version is already held (a redelivery) is ignored; one
/// delivered late is still recorded, because the status on a date is folded by effective date and version.
/// </summary>
public sealed class RosterHandler(IEventStore store) : IEventHandler
{
    public string Name => "operations-roster";

    public IReadOnlyCollection<string> EventTypes { get; } = [MemberStatusChanged.Descriptor.FullName];

    public async Task<AppendRequest?> HandleAsync(EventRecord incoming, CancellationToken cancellationToken)
    {
        var change = MemberStatusChanged.Parser.ParseFrom(incoming.Data);
        if (string.IsNullOrEmpty(change.State) || !DateValues.TryGet(change.EffectiveDate, out var effective))
        {
            return null;
        }

        var stream = RosterStream(change.State);
        var held = await store.ReadStreamAsync(stream, 1, cancellationToken);
        if (held.Any(r => RosterStatusRecorded.Parser.ParseFrom(r.Data).SourceStreamVersion == change.StreamVersion))
        {
            return null;
        }

        var recorded = new RosterStatusRecorded
        {
            State = change.State,
            Status = change.NewStatus,
            EffectiveDate = change.EffectiveDate,
            SourceStreamVersion = change.StreamVersion,
            Cause = change.Cause,
        };
        var metadata = EventInbox.CausedBy(incoming, Name);
        metadata.EffectiveTime = Dates.ToEffectiveTime(effective);
        return new AppendRequest(stream, held.Count, [NewEvent.From(recorded, metadata, EventIds.FromName("operations", "roster/" + incoming.SourceService + "/" + incoming.EventId))]);
    }

    public static string RosterStream(string state) => "roster-" + state;

    /// <summary>The roster of the given states (what a decide function needs).</summary>
    public static async Task<RosterView> LoadAsync(IEventStore store, IEnumerable<string> states, CancellationToken cancellationToken)
    {
        var entries = new List<RosterEntry>();
        foreach (var state in states.Distinct(StringComparer.Ordinal))
        {
            foreach (var record in await store.ReadStreamAsync(RosterStream(state), 1, cancellationToken))
            {
                var r = RosterStatusRecorded.Parser.ParseFrom(record.Data);
                entries.Add(new RosterEntry(r.State, r.Status, DateValues.Get(r.EffectiveDate), r.SourceStreamVersion));
            }
        }

        return RosterView.Of(entries);
    }
}
