using Csto.Bodies.Shared;
using Csto.Bodies.V1;
using Csto.EventLog;
using Csto.EventLog.Inbox;
using Csto.EventLog.V1;
using Csto.Membership.V1;

namespace Csto.Bodies.Roster;

/// <summary>
/// Keeps the roster as this service's own events (stream "roster-{state}"), so that the roster on any session date
/// is derived from the bodies log alone. Each source version is recorded once; a repeated one is ignored.
/// </summary>
public sealed class RosterHandler(IEventStore store) : IEventHandler
{
    public string Name => "bodies-roster";

    public IReadOnlyCollection<string> EventTypes { get; } = [MemberStatusChanged.Descriptor.FullName];

    public async Task<AppendRequest?> HandleAsync(EventRecord incoming, CancellationToken cancellationToken)
    {
        var change = MemberStatusChanged.Parser.ParseFrom(incoming.Data);
        if (string.IsNullOrEmpty(change.State) || !change.EffectiveDate.IsValid())
        {
            return null; // nothing a roster can hold; the inbox still marks it processed
        }

        var stream = "roster-" + change.State;
        var history = await store.ReadStreamAsync(stream, 1, cancellationToken);
        var held = history.Select(r => RosterStatusObserved.Parser.ParseFrom(r.Data).SourceStreamVersion).ToHashSet();
        if (held.Contains(change.StreamVersion))
        {
            return null;
        }

        var observed = new RosterStatusObserved
        {
            State = change.State,
            OldStatus = change.OldStatus,
            NewStatus = change.NewStatus,
            EffectiveDate = change.EffectiveDate,
            SourceStreamVersion = change.StreamVersion,
            Cause = change.Cause,
            SourceEventId = incoming.EventId,
        };
        var metadata = EventInbox.CausedBy(incoming, Name);
        metadata.EffectiveTime = Dates.ToEffectiveTime(change.EffectiveDate.ToDateOnly());
        var eventId = EventIds.FromName("bodies", $"roster|{incoming.SourceService}|{incoming.EventId}");
        return new AppendRequest(stream, history.Count, [NewEvent.From(observed, metadata, eventId)]);
    }
}
