using System.Collections.Immutable;
using Csto.Common.V1;
using Csto.EventLog.Commands;
using Csto.EventLog.V1;
using Google.Protobuf;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>The command path's held states: a long stream is folded from what was appended since, never from another history.</summary>
public sealed class FoldedStatesTests
{
    /// <summary>The state: the years of the stream's events, in order; counts how many records each fold was handed.</summary>
    sealed class Years
    {
        public int WholeFolds { get; private set; }

        public List<int> ContinuedFrom { get; } = [];

        public Command<ImmutableList<int>> Command(string stream) =>
            new(stream, records =>
            {
                WholeFolds++;
                return [.. records.Select(Year)];
            }, _ => Verdict.Nothing)
            {
                FoldFrom = (prior, added) =>
                {
                    ContinuedFrom.Add(prior.Count);
                    return prior.AddRange(added.Select(Year));
                },
            };

        static int Year(EventRecord record) => Date.Parser.ParseFrom(record.Data).Year;
    }

    static List<EventRecord> Stream(string stream, int count, string ids = "e") =>
        [.. Enumerable.Range(1, count).Select(v => new EventRecord
        {
            StreamId = stream, StreamVersion = v, Position = v, EventId = $"{ids}-{v}", Type = Date.Descriptor.FullName,
            Data = new Date { Year = 2000 + v, Month = 1, Day = 1 }.ToByteString(),
        })];

    [Fact]
    public void A_long_stream_is_folded_again_only_from_what_was_appended_since_and_gives_the_whole_fold()
    {
        var folded = new FoldedStates();
        var years = new Years();
        var records = Stream("s", 20);

        var first = folded.Fold(years.Command("s"), records);
        records.AddRange(Stream("s", 23).Skip(20));
        var second = folded.Fold(years.Command("s"), records);
        var third = folded.Fold(years.Command("s"), records);

        Assert.Equal(Enumerable.Range(2001, 20), first);
        Assert.Equal(Enumerable.Range(2001, 23), second);
        Assert.Same(second, third); // nothing appended: the held state itself
        Assert.Equal(1, years.WholeFolds);
        Assert.Equal([20], years.ContinuedFrom);
        Assert.Equal(2, folded.Continued);
        Assert.Equal(1, folded.Whole);
    }

    [Fact]
    public void A_state_held_for_another_history_of_the_same_stream_is_not_continued()
    {
        var folded = new FoldedStates();
        var years = new Years();
        folded.Fold(years.Command("s"), Stream("s", 20, ids: "a"));

        // the same stream name, as many records and more, but a different record where the held state ended
        var other = Stream("s", 25, ids: "b");
        var state = folded.Fold(years.Command("s"), other);
        // and fewer records than the state was folded from
        var shorter = folded.Fold(years.Command("s"), Stream("s", 18, ids: "b"));

        Assert.Equal(Enumerable.Range(2001, 25), state);
        Assert.Equal(Enumerable.Range(2001, 18), shorter);
        Assert.Empty(years.ContinuedFrom);
        Assert.Equal(3, years.WholeFolds);
    }

    [Fact]
    public void Short_streams_and_commands_without_a_continued_fold_are_folded_whole()
    {
        var folded = new FoldedStates();
        var years = new Years();
        var shortStream = Stream("short", FoldedStates.MinimumRecords - 1);
        folded.Fold(years.Command("short"), shortStream);
        folded.Fold(years.Command("short"), shortStream);
        var plain = years.Command("long") with { FoldFrom = null };
        folded.Fold(plain, Stream("long", 40));
        folded.Fold(plain, Stream("long", 40));

        Assert.Equal(4, years.WholeFolds);
        Assert.Empty(years.ContinuedFrom);
    }

    [Fact]
    public void At_most_capacity_states_are_held_and_a_dropped_stream_is_folded_whole_again()
    {
        var folded = new FoldedStates(capacity: 2, new Random(7));
        var years = new Years();
        foreach (var stream in new[] { "a", "b", "c" })
        {
            folded.Fold(years.Command(stream), Stream(stream, 20));
        }

        Assert.Equal(2, folded.Count);

        // c was held last, and one of a and b was dropped for it: that one is folded whole again
        folded.Fold(years.Command("c"), Stream("c", 21));
        folded.Fold(years.Command("a"), Stream("a", 21));
        folded.Fold(years.Command("b"), Stream("b", 21));

        Assert.Equal(2, folded.Count);
        Assert.Equal(20, years.ContinuedFrom[0]);
        Assert.InRange(years.ContinuedFrom.Count, 1, 2);
        Assert.Equal(6, years.ContinuedFrom.Count + years.WholeFolds);
    }
}
