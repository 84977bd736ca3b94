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

    public static string Format(Date? d) => d is null || d.Year == 0 ? "" : d.ToIso();

    public static string Cause(Cause? c) => c?.KindCase switch
    {
        Csto.Common.V1.Cause.KindOneofCase.Decision => c.Decision,
        Csto.Common.V1.Cause.KindOneofCase.Notice => "notice: " + c.Notice,
        Csto.Common.V1.Cause.KindOneofCase.TreatyAct => c.TreatyAct,
        _ => "",
    };
}
