using Csto.Common.V1;
using Csto.Membership.V1;

namespace Csto.Console.Tests;

/// <summary>The pure parts of the pages: the time scale, a party's periods as bars, bar lengths.</summary>
public sealed class ChartsTests
{
    static readonly TimeScale Scale = new(new DateOnly(1992, 1, 1), new DateOnly(2022, 1, 1), 100, 1000);

    [Fact]
    public void Time_scale_maps_days_linearly_and_clamps_outside_days()
    {
        Assert.Equal(100, Scale.X(new DateOnly(1992, 1, 1)));
        Assert.Equal(1100, Scale.X(new DateOnly(2022, 1, 1)));
        Assert.Equal(100, Scale.X(new DateOnly(1980, 1, 1)));
        Assert.Equal(1100, Scale.X(new DateOnly(2030, 1, 1)));
        var mid = new DateOnly(1992, 1, 1).AddDays((new DateOnly(2022, 1, 1).DayNumber - new DateOnly(1992, 1, 1).DayNumber) / 2);
        Assert.Equal(600, Scale.X(mid), 1);
        Assert.Equal([2000, 2010, 2020], Scale.YearTicks(10).Select(t => t.Year));
    }

    [Fact]
    public void A_partys_periods_become_bars_that_end_where_the_next_begins_with_their_cause()
    {
        var state = new MemberState { State = "UZB", Kind = PartyKind.State, Status = MemberStatus.Suspended };
        state.Periods.Add(new StatusPeriod { Status = MemberStatus.Member, FromDate = new DateOnly(2006, 6, 23).ToProto(), ToDate = new DateOnly(2012, 12, 19).ToProto(), Cause = new Cause { Decision = "decisions/admit-uzb-2006" } });
        state.Periods.Add(new StatusPeriod { Status = MemberStatus.Suspended, FromDate = new DateOnly(2012, 12, 19).ToProto(), Cause = new Cause { Decision = "decisions/suspend-uzb-2012" } });

        var row = Timeline.Row(state, Scale);

        Assert.Equal(["member", "suspended"], row.Bars.Select(b => b.Status));
        Assert.Equal(row.Bars[0].X + row.Bars[0].Width, row.Bars[1].X, 6);
        Assert.Equal(1100, row.Bars[1].X + row.Bars[1].Width, 6); // an open period runs to the end of the scale
        Assert.Equal("UZB member from 2006-06-23 until 2012-12-18 (decisions/admit-uzb-2006)", row.Bars[0].Title("UZB"));
        Assert.Equal("UZB suspended from 2012-12-19 (decisions/suspend-uzb-2012)", row.Bars[1].Title("UZB"));
    }

    [Fact]
    public void Bars_are_scaled_to_the_largest_value_and_a_small_value_stays_visible()
    {
        var chart = BarChart.Of("by stage", [("a", 1742, "1,742 kg"), ("b", 341, "341 kg"), ("c", 0.001, "0.001 kg"), ("d", 0, "0 kg")], width: 400);
        Assert.Equal([400, 400 * 341 / 1742.0, 1, 0], chart.Bars.Select(b => b.Length));
        Assert.Empty(BarChart.Of("nothing", []).Bars);
    }
}
