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
    public static Func<IReadOnlyList<EventRecord>, LoadedMember> Fold(string party) => records =>
    {
        var events = records.Select(r => EventTypes.Parse(r)
                                         ?? throw new InvalidOperationException($"unknown event type '{r.Type}' at position {r.Position}")).ToList();
        return new LoadedMember(records, events, PartyState.Fold(party, events));
    };
}
