using Csto.EventLog.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Csto.Bodies.Shared;

/// <summary>Parses the bodies service's own events from the log.</summary>
public static class EventTypes
{
    static readonly Dictionary<string, MessageDescriptor> Known =
        Csto.Bodies.V1.EventsReflection.Descriptor.MessageTypes.ToDictionary(d => d.FullName, StringComparer.Ordinal);

    public static IMessage? Parse(EventRecord record)
    {
        return Known.TryGetValue(record.Type, out var descriptor) ? descriptor.Parser.ParseFrom(record.Data) : null;
    }

    public static IEnumerable<IMessage> ParseAll(IEnumerable<EventRecord> records) =>
        records.Select(Parse).Where(m => m is not null)!;
}
