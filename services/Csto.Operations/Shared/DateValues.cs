using Csto.Common.V1;

namespace Csto.Operations.Shared;

/// <summary>Conversions between the wire's Date and DateOnly.</summary>
public static class DateValues
{
    public static bool TryGet(Date? date, out DateOnly value)
    {
        value = default;
        if (date is null || date.Year is < 1 or > 9999 || date.Month is < 1 or > 12 || date.Day < 1 || date.Day > DateTime.DaysInMonth(date.Year, date.Month))
        {
            return false;
        }

        value = new DateOnly(date.Year, date.Month, date.Day);
        return true;
    }

    public static DateOnly Get(Date date) => TryGet(date, out var value) ? value : throw new ArgumentException("invalid date in a recorded event", nameof(date));

    public static DateOnly? GetOptional(Date? date) => date is null ? null : Get(date);

    public static Date ToDate(this DateOnly date) => new() { Year = date.Year, Month = date.Month, Day = date.Day };

    public static Date? ToDate(this DateOnly? date) => date?.ToDate();

    public static string Iso(this DateOnly date) => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
