using Csto.Common.V1;
using Csto.EventLog.V1;
using Csto.EventLog.Wire;
using Xunit;

namespace Csto.EventLog.Tests;

public sealed class WireHeadersTests
{
    static EventRecord Record(Provenance? provenance) => new()
    {
        EventId = Guid.NewGuid().ToString(), Type = "csto.bodies.v1.DecisionAdopted", SourceService = "bodies", StreamId = "decision-x", StreamVersion = 3, Position = 7,
        Metadata = new EventMetadata { CorrelationId = "c", CausationId = "request:r", Provenance = provenance },
    };

    static EventRecord RoundTrip(EventRecord record)
    {
        var headers = WireHeaders.From(record).ToDictionary(h => h.Key, h => h.Value);
        return WireHeaders.ToRecord(name => headers.TryGetValue(name, out var v) ? v : null, record.Data.Span);
    }

    [Fact]
    public void The_provenance_of_a_fact_travels_with_it_on_the_wire()
    {
        var provenance = new Provenance { Basis = Basis.Chosen, Source = "shared/domain.md, «Chairmanship in practice»", Reason = "the day, 2011-12-20, is chosen" };

        var received = RoundTrip(Record(provenance));

        Assert.Equal(provenance, received.Metadata.Provenance);
    }

    [Fact]
    public void A_record_without_provenance_sends_no_provenance_headers()
    {
        var record = Record(null);

        Assert.DoesNotContain(WireHeaders.From(record), h => h.Key.StartsWith("csto-provenance", StringComparison.Ordinal));
        Assert.Null(RoundTrip(record).Metadata.Provenance);
    }
}
