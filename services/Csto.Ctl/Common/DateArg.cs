using Csto.Common.V1;

namespace Csto.Ctl.Common;

public static class DateArg
{
    /// <summary>"YYYY-MM-DD" or "today" to a Date; a clear usage error names the option otherwise.</summary>
    public static Date Parse(string? text, string option)
    {
        if (string.IsNullOrEmpty(text) || text == "today")
        {
            return From(DateOnly.FromDateTime(DateTime.UtcNow));
        }

        return Dates.ParseIso(text) is { } day
            ? Date.From(day)
            : throw new CtlException(ExitCodes.Usage, $"{option}: '{text}' is not a date (YYYY-MM-DD)");
    }

    public static Date From(DateOnly d) => Date.From(d);

    public static string Format(Date? d) => Dates.Format(d);

    public static string Cause(Cause? c) => Dates.Describe(c);
}
