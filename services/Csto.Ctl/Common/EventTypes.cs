using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Csto.Ctl.Common;

/// <summary>Every message of protos/, to decode an EventRecord's data for humans.</summary>
public static class EventTypes
{
    public static TypeRegistry Registry { get; } = TypeRegistry.FromFiles(
        [.. typeof(Csto.EventLog.V1.EventRecord).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Reflection", StringComparison.Ordinal) && t.GetProperty("Descriptor")?.PropertyType == typeof(FileDescriptor))
            .Select(t => (FileDescriptor)t.GetProperty("Descriptor")!.GetValue(null)!)]);

    public static IMessage? Decode(string type, ByteString data) =>
        Registry.Find(type) is { } descriptor ? descriptor.Parser.ParseFrom(data) : null;

    public static string Describe(string type, ByteString data)
    {
        try
        {
            return Decode(type, data) is { } message ? JsonFormatter.Default.Format(message) : $"({data.Length} bytes)";
        }
        catch (InvalidProtocolBufferException)
        {
            return $"(undecodable, {data.Length} bytes)";
        }
    }

    public static string Short(string type) => type[(type.LastIndexOf('.') + 1)..];
}
