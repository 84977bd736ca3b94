using System.Globalization;
using Csto.Common.V1;

namespace Csto.Kernel;

/// <summary>Dates from requests: a clear INVALID_ARGUMENT naming the field when the date is not a calendar date.</summary>
public static class Dates
{
    /// <summary>The date, or null when the field is unset; <see cref="InvalidFieldException"/> when it is no calendar date.</summary>
    public static DateOnly? Optional(Date? date, string field) =>
        date is null ? null
        : date.IsCalendarDate ? date.ToDateOnly()
        : throw new InvalidFieldException(field, $"{date.ToIso()} is not a calendar date");

    /// <summary>The date; <see cref="InvalidFieldException"/> when unset or no calendar date.</summary>
    public static DateOnly Required(Date? date, string field) =>
        Optional(date, field) ?? throw new InvalidFieldException(field, "required: a date (year, month, day)");

    /// <summary>The same check as a value, for decide functions that answer with a verdict.</summary>
    public static InvalidField? Problem(Date? date, string field, bool required = true) =>
        date is null ? (required ? new InvalidField(field, "required: a date (year, month, day)") : null)
        : date.IsCalendarDate ? null
        : new InvalidField(field, $"{date.ToIso()} is not a calendar date");

    /// <summary>The day, when the date is set and a calendar date.</summary>
    public static bool TryGet(Date? date, out DateOnly day)
    {
        day = date is { IsCalendarDate: true } ? date.ToDateOnly() : default;
        return date is { IsCalendarDate: true };
    }

    /// <summary>Set and a calendar date.</summary>
    public static bool IsValid(this Date? date) => date is { IsCalendarDate: true };

    public static Date ToProto(this DateOnly day) => Date.From(day);

    public static Date? ToProto(this DateOnly? day) => day is { } d ? Date.From(d) : null;

    public static string ToIso(this DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The effective date of an event as the timestamp carried in its metadata: 00:00 UTC of that day.</summary>
    public static Google.Protobuf.WellKnownTypes.Timestamp ToEffectiveTime(this DateOnly day) =>
        Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));

    /// <summary>"YYYY-MM-DD" as typed by a person (cstoctl, history files); null when it is not one.</summary>
    public static DateOnly? ParseIso(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;

    /// <summary>"YYYY-MM-DD", or "" when the date is unset.</summary>
    public static string Format(Date? d) => d is null || d.Year == 0 ? "" : d.ToIso();

    /// <summary>A status's cause in words: the decision's name, "notice: …" or the treaty act.</summary>
    public static string Describe(Cause? c) => c?.KindCase switch
    {
        Cause.KindOneofCase.Decision => c.Decision,
        Cause.KindOneofCase.Notice => "notice: " + c.Notice,
        Cause.KindOneofCase.TreatyAct => c.TreatyAct,
        _ => "",
    };
}
