using System.Reflection;
using Csto.EventLog.Projections;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>A rebuild of many slices reads the next slice while the writer applies one (both engines).</summary>
public abstract partial class StoreContract
{
    [Fact]
    public async Task A_rebuild_reads_the_next_slice_while_it_applies_one()
    {
        // 4,500 events: three slices of up to 2,000
        for (var i = 0; i < 45; i++)
        {
            await _store.AppendAsync(new AppendRequest($"operation-{i % 7}", ExpectedVersion.Any, [.. Enumerable.Range(0, 100).Select(n => Events.Any((i * 100) + n))]));
        }

        var reads = ReadsRecorded.Around(_store);
        var holding = new HoldFirstSlice(reads);
        var runner = new ProjectionRunner((IEventStore)reads, ReadModel, [holding], NullLogger<ProjectionRunner>.Instance);
        await runner.StartAsync(CancellationToken.None);
        try
        {
            await runner.WaitForPositionAsync(4500, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

            // the rebuild's first slice waits in its apply for the second slice's read to begin: it began while the writer held the first
            holding.Arm();
            var rebuilt = Assert.Single(await runner.RebuildAsync([holding.Name], CancellationToken.None));
            Assert.True(holding.SawNextReadWhileApplying, "the rebuild read the second slice only after it applied the first");
            Assert.True(rebuilt.HashesMatch, $"{rebuilt.LiveHash} != {rebuilt.RebuiltHash}");
            Assert.Equal(4500, (await ReadModel.QueryAsync("SELECT COUNT(*) FROM proj_test_held", r => r.GetInt64(0), CancellationToken.None)).Single());
        }
        finally
        {
            await runner.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Writes a row per event; once armed, while applying the slice that starts at position 1 it waits (at most 10 s) for a read from 2,001 to begin.</summary>
    sealed class HoldFirstSlice(ReadsRecorded reads) : IProjection
    {
        volatile bool _armed;

        public string Name => "held";

        public IReadOnlyList<ProjectionTable> Tables { get; } = [new("proj_test_held", "position INTEGER PRIMARY KEY, type TEXT NOT NULL")];

        public bool SawNextReadWhileApplying { get; private set; }

        public void Arm()
        {
            SawNextReadWhileApplying = false;
            reads.Forget();
            _armed = true;
        }

        public void Apply(V1.EventRecord record, ProjectionWriter writer)
        {
            if (record.Position == 1 && _armed)
            {
                _armed = false;
                SawNextReadWhileApplying = reads.ReadFrom(2001).Wait(TimeSpan.FromSeconds(10));
            }

            writer.Execute("proj_test_held", "INSERT INTO {t}(position, type) VALUES (@p, @t) ON CONFLICT DO NOTHING", ("@p", record.Position), ("@t", record.Type));
        }
    }

    /// <summary>The store, with a signal for each position a read of the log began from.</summary>
    public class ReadsRecorded : DispatchProxy
    {
        IEventStore _store = null!;
        readonly Dictionary<long, TaskCompletionSource> _began = [];

        public static ReadsRecorded Around(IEventStore store)
        {
            var proxy = (ReadsRecorded)(object)Create<IEventStore, ReadsRecorded>();
            proxy._store = store;
            return proxy;
        }

        public Task ReadFrom(long position) => Began(position).Task;

        public void Forget()
        {
            lock (_began)
            {
                _began.Clear();
            }
        }

        TaskCompletionSource Began(long position)
        {
            lock (_began)
            {
                if (!_began.TryGetValue(position, out var began))
                {
                    _began[position] = began = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                return began;
            }
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            if (targetMethod.Name == nameof(IEventStore.ReadAllAsync) && args is [long from, ..])
            {
                Began(from).TrySetResult();
            }

            try
            {
                return targetMethod.Invoke(_store, args);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                throw ex.InnerException;
            }
        }
    }
}
