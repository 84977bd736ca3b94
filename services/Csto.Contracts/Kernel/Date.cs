using System.Globalization;
using Csto.Kernel;

namespace Csto.Common.V1;

/// <summary>The one conversion between the wire's <see cref="Date"/> and <see cref="DateOnly"/>, used by every service and cstoctl.</summary>
public sealed partial class Date
{
    public static Date From(DateOnly day) => new() { Year = day.Year, Month = day.Month, Day = day.Day };

    /// <summary>Whether the fields name a day of the Gregorian calendar (years 1 to 9999).</summary>
    public bool IsCalendarDate =>
        Year is >= 1 and <= 9999 && Month is >= 1 and <= 12 && Day >= 1 && Day <= DateTime.DaysInMonth(Year, Month);

    /// <summary>The day; a recorded event always holds a calendar date, so anything else is a bug, not bad input.</summary>
    public DateOnly ToDateOnly() =>
        IsCalendarDate ? new DateOnly(Year, Month, Day) : throw new InvalidOperationException($"{ToIso()} is not a calendar date");

    public string ToIso() => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Month:D2}-{Day:D2}");
}
