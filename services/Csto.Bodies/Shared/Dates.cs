using Csto.Common.V1;

namespace Csto.Bodies.Shared;

public static class DateConversions
{
    public static DateOnly ToDateOnly(this Date date)
    {
        return new DateOnly(date.Year, date.Month, date.Day);
    }

    public static Date ToProto(this DateOnly date) => new() { Year = date.Year, Month = date.Month, Day = date.Day };

    public static bool IsValid(this Date? date) =>
        date is not null && date.Year is >= 1 and <= 9999 && date.Month is >= 1 and <= 12 && date.Day >= 1 && date.Day <= DateTime.DaysInMonth(date.Year, date.Month);

    public static string ToIso(this DateOnly date) => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
