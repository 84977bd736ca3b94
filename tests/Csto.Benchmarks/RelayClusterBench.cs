using Csto.EventLog.Hosting;
using Csto.Testing;

namespace Csto.Benchmarks;

/// <summary>
/// <c>--only relay-cluster</c>: the relay scenario (N events in the log, timed from host start until the relay checkpoint
/// reaches the head, all confirmed, the queue depth checked) against (a) one broker node with a classic queue
/// (<see cref="RabbitMqFixture"/>, as the relay figure) and (b) the three-node cluster of <see cref="RabbitMqClusterFixture"/>
/// with EventLog:QueueType=quorum and the bench queue a quorum queue (a confirm waits for a majority of the nodes).
/// Also (c), to tell the queue type from the broker: a classic queue on the cluster's first node alone. The two brokers
/// never run at the same time: (a) is stopped before the cluster starts.
/// </summary>
static class RelayClusterBench
{
    public static async Task RunAsync(Config cfg, List<Row> table, TextWriter log)
    {
        log.WriteLine($"7. relay to a three-node cluster (quorum queue) vs to one node (classic queue), {cfg.ClusterRelayEvents:#,0} events");
        using var dir = new TempDir();
        var name = "bench";
        var (template, records) = await RelayBench.PrepareAsync(dir.Path, name, cfg.ClusterRelayEvents);
        var count = records.Count;
        var run = 0;
        double single;
        await using (var broker = new RabbitMqFixture())
        {
            await broker.InitializeAsync();
            log.WriteLine($"  one node: {broker.Kind}");
            single = await Machine.MedianOfAsync(cfg, log, $"relay to one node, classic queue, events/s for {count:#,0}",
                () => RelayBench.RelayAsync(broker.NewVirtualHostUrlAsync, dir.Path, template, name, count, ++run, log));
        }

        double quorum, firstNode;
        var cluster = new RabbitMqClusterFixture();
        await cluster.InitializeAsync();
        try
        {
            log.WriteLine($"  cluster: {cluster.Kind}");
            quorum = await Machine.MedianOfAsync(cfg, log, $"relay to the 3-node cluster, quorum queue, events/s for {count:#,0}",
                () => RelayBench.RelayAsync(cluster.NewVirtualHostUrlsAsync, dir.Path, template, name, count, ++run, log, QueueType.Quorum));
            firstNode = await Machine.MedianOfAsync(cfg, log, $"relay to the cluster's first node only, classic queue, events/s for {count:#,0}",
                async () => await RelayBench.RelayAsync(async () => (await cluster.NewVirtualHostUrlsAsync()).Split(',')[0], dir.Path, template, name, count, ++run, log));
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        table.Add(new Row($"relay events/s, 3-node cluster, quorum queue ({count:#,0}, incl. host start)", Machine.Rate(quorum), "one node, classic queue " + Machine.Rate(single), Machine.Pct(quorum / single) + " of one node", "-", "-"));
        table.Add(new Row("", "", "cluster node 1 alone, classic queue " + Machine.Rate(firstNode), Machine.Pct(quorum / firstNode) + " of classic on node 1", "-", "-"));
    }
}
