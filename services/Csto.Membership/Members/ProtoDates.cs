using Csto.Common.V1;

namespace Csto.Membership.Members;

public static class ProtoDates
{
    public static Date ToProto(DateOnly date) => new() { Year = date.Year, Month = date.Month, Day = date.Day };

    public static DateOnly ToDateOnly(Date date)
    {
        return new DateOnly(date.Year, date.Month, date.Day);
    }

    /// <summary>Converts a date from a request; null when unset; a problem when it is no calendar date.</summary>
    public static DateOnly? Parse(Date? date, string field, out RuleViolation? problem)
    {
        problem = null;
        if (date is null)
        {
            return null;
        }

        if (date.Year is < 1 or > 9999 || date.Month is < 1 or > 12 || date.Day < 1 || date.Day > DateTime.DaysInMonth(date.Year, date.Month))
        {
            problem = RuleViolation.Invalid(field, $"{date.Year:D4}-{date.Month:D2}-{date.Day:D2} is not a calendar date");
            return null;
        }

        return new DateOnly(date.Year, date.Month, date.Day);
    }
}
