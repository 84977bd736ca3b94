using System.Globalization;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.V1;

// Usage: Csto.LogWriter <db-path> [appenders]
// Prints "ack <event_id> <position>" after each append the store acknowledged, until killed.
var path = args[0];
var appenders = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8;
var store = new SqliteEventStore(path, "crash");
var output = Console.Out;
var gate = new object();
Console.WriteLine("ready");
var tasks = Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
{
    for (var i = 0; ; i++)
    {
        var id = Guid.NewGuid().ToString();
        var e = NewEvent.From(new Date { Year = 2000, Month = 1, Day = 1 + (i % 28) }, new EventMetadata { CorrelationId = "crash" }, id);
        var result = await store.AppendAsync(new AppendRequest($"crash-{a}", ExpectedVersion.Any, [e]));
        lock (gate)
        {
            output.WriteLine($"ack {id} {result.LastPosition}");
            output.Flush();
        }
    }
})).ToArray();
await Task.WhenAll(tasks);
