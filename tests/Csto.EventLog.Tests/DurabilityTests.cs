using System.Diagnostics;
using Csto.EventLog;
using Csto.Testing;
using Xunit;

namespace Csto.EventLog.Tests;

public sealed class DurabilityTests
{
    [Fact]
    public async Task Every_append_acknowledged_before_a_SIGKILL_is_in_the_log_after_reopening()
    {
        using var dir = new TempDir();
        var db = Path.Combine(dir.Path, "crash.db");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Csto.LogWriter.dll"));
        psi.ArgumentList.Add(db);
        psi.ArgumentList.Add("16");
        using var child = Process.Start(psi)!;
        var acknowledged = new List<(string Id, long Position)>();
        Assert.Equal("ready", await child.StandardOutput.ReadLineAsync());
        while (acknowledged.Count < 2000)
        {
            var line = await child.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("writer exited early");
            var parts = line.Split(' ');
            acknowledged.Add((parts[1], long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)));
        }

        child.Kill(entireProcessTree: true); // SIGKILL: no flush, no dispose, no WAL checkpoint
        await child.WaitForExitAsync();

        await using var store = new SqliteEventStore(db, "crash");
        var all = await store.ReadAllAsync(1, long.MaxValue, ReadFilter.All, 1_000_000);
        var byId = all.Records.ToDictionary(r => r.EventId, r => r.Position);
        Assert.All(acknowledged, ack => Assert.Equal(ack.Position, byId.GetValueOrDefault(ack.Id)));
        Assert.Equal(Enumerable.Range(1, all.Records.Count).Select(i => (long)i), all.Records.Select(r => r.Position));
        Assert.True(all.Records.Count >= acknowledged.Count);
    }
}
