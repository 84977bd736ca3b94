using Csto.EventLog;
using Csto.EventLog.V1;
using Google.Protobuf;

namespace Csto.Membership.Members;

/// <summary>A party's stream as read: the records, the parsed events and the folded state.</summary>
public sealed record LoadedMember(IReadOnlyList<EventRecord> Records, IReadOnlyList<IMessage> Events, PartyState State);

/// <summary>Reads the stream "member-{party}" of the log.</summary>
public sealed class MemberLog(IEventStore store)
{
    public async Task<LoadedMember> LoadAsync(string party, CancellationToken cancellationToken) =>
        Fold(party)(await store.ReadStreamAsync(Parties.StreamId(party), 1, cancellationToken));

    /// <summary>How the command path folds a party's records.</summary>
    public static Func<IReadOnlyList<EventRecord>, LoadedMember> Fold(string party) =>
        records => FoldFrom(new LoadedMember([], [], PartyState.Empty(party)), records); // one fold: whole is continued from nothing

    /// <summary>The fold continued from the party as of its first records with the records appended after them (<see cref="Csto.EventLog.Commands.Command{TState}.FoldFrom"/>).</summary>
    public static LoadedMember FoldFrom(LoadedMember prior, IReadOnlyList<EventRecord> added)
    {
        ArgumentNullException.ThrowIfNull(prior);
        ArgumentNullException.ThrowIfNull(added);
        var events = new List<IMessage>(prior.Events.Count + added.Count);
        events.AddRange(prior.Events);
        var state = prior.State;
        foreach (var record in added)
        {
            var e = Parse(record);
            events.Add(e);
            state = state.Evolve(e);
        }

        return new LoadedMember([.. prior.Records, .. added], events, state);
    }

    static IMessage Parse(EventRecord r) =>
        EventTypes.Parse(r) ?? throw new InvalidOperationException($"unknown event type '{r.Type}' at position {r.Position}");
}
