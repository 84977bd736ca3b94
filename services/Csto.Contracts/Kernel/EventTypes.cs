using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Csto.Kernel;

/// <summary>Every message of protos/ by its protobuf full name: to parse a record's data in a fold, a trace or an export.</summary>
public static class EventTypes
{
    public static TypeRegistry Registry { get; } = TypeRegistry.FromFiles(
        [.. typeof(EventTypes).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Reflection", StringComparison.Ordinal) && t.GetProperty("Descriptor")?.PropertyType == typeof(FileDescriptor))
            .Select(t => (FileDescriptor)t.GetProperty("Descriptor")!.GetValue(null)!)]);

    /// <summary>The message of a record's type and data, or null when the type is not one of protos/.</summary>
    public static IMessage? Parse(string type, ByteString data) =>
        Registry.Find(type) is { } descriptor ? descriptor.Parser.ParseFrom(data) : null;

    /// <summary>The message of a record: parsed once for a record that is <see cref="Keep">kept</see>, else parsed now.</summary>
    public static IMessage? Parse(EventLog.V1.EventRecord record) =>
        record is null ? null : Kept.TryGetValue(record, out var kept) ? kept : Parse(record.Type, record.Data);

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<EventLog.V1.EventRecord, IMessage> Kept = new();

    /// <summary>
    /// Parses <paramref name="record"/> now and keeps the message as long as the record lives, for records held in memory
    /// and folded on every write (the event log's stream cache). A kept message is shared by every fold of the record: folds
    /// read events, they never change them.
    /// </summary>
    public static void Keep(EventLog.V1.EventRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            if (Parse(record.Type, record.Data) is { } message)
            {
                Kept.TryAdd(record, message);
            }
        }
        catch (InvalidProtocolBufferException)
        {
            // not kept: the fold that parses it reports it
        }
    }

    /// <summary>The parsed events of records, skipping types this build does not know.</summary>
    public static IEnumerable<IMessage> ParseAll(IEnumerable<EventLog.V1.EventRecord> records) =>
        records.Select(Parse).OfType<IMessage>();

    /// <summary>The date an event says it happened in the world: its <c>effective_date</c> field, when it has one.</summary>
    public static DateOnly? EffectiveDate(IMessage message) =>
        message?.Descriptor.FindFieldByName("effective_date")?.Accessor.GetValue(message) is Common.V1.Date { IsCalendarDate: true } date
            ? date.ToDateOnly()
            : null;

    /// <summary>A record's data for humans: the message as protobuf JSON, or what is known of it.</summary>
    public static string Describe(string type, ByteString data)
    {
        try
        {
            return Parse(type, data) is { } message ? JsonFormatter.Default.Format(message) : $"({data?.Length ?? 0} bytes)";
        }
        catch (InvalidProtocolBufferException)
        {
            return $"(undecodable, {data?.Length ?? 0} bytes)";
        }
    }

    /// <summary>"csto.bodies.v1.DecisionAdopted" → "DecisionAdopted".</summary>
    public static string Short(string type) => type[(type.LastIndexOf('.') + 1)..];
}
