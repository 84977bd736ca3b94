using System.Security.Cryptography;
using System.Text;
using Csto.EventLog;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Google.Protobuf;

namespace Csto.Membership.Members;

/// <summary>A party's stream as read: the records, the parsed events and the folded state.</summary>
public sealed record LoadedMember(IReadOnlyList<EventRecord> Records, IReadOnlyList<IMessage> Events, PartyState State);

/// <summary>Reads and writes the stream "member-{party}" of the log.</summary>
public sealed class MemberLog(IEventStore store)
{
    public async Task<LoadedMember> LoadAsync(string party, CancellationToken cancellationToken)
    {
        var records = await store.ReadStreamAsync(Parties.StreamId(party), 1, cancellationToken);
        var events = records.Select(r => EventFields.Parse(r.Type, r.Data)
                                         ?? throw new InvalidOperationException($"unknown event type '{r.Type}' at position {r.Position}")).ToList();
        return new LoadedMember(records, events, PartyState.Fold(party, events));
    }

    /// <summary>The append of <paramref name="events"/> after <paramref name="state"/>, each with its id and its effective time in the metadata.</summary>
    public static AppendRequest ToAppend(PartyState state, IReadOnlyList<IMessage> events, Func<int, string> eventId, EventMetadata metadata)
    {
        var list = new List<NewEvent>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var meta = metadata.Clone();
            if (EventFields.EffectiveDate(events[i]) is { } date)
            {
                meta.EffectiveTime = Dates.ToEffectiveTime(ProtoDates.ToDateOnly(date));
            }

            list.Add(NewEvent.From(events[i], meta, eventId(i)));
        }

        return new AppendRequest(Parties.StreamId(state.Party), state.Version, list);
    }

    public Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken) => store.AppendAsync(request, cancellationToken);

    public static bool IsStatusChange(string type) => string.Equals(type, MemberStatusChanged.Descriptor.FullName, StringComparison.Ordinal);
}

