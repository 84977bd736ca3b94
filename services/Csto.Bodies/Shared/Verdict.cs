using System.Text.RegularExpressions;
using Google.Protobuf;

namespace Csto.Bodies.Shared;

/// <summary>Why a command is refused: bad input naming a field, or a rule of the charter naming the rule.</summary>
public abstract record Rejection(string Description);

public sealed record FieldViolation(string Field, string Description) : Rejection(Description);

public sealed record RuleViolation(string Reason, string Description) : Rejection(Description);

/// <summary>What a decide function returns: the events to append, or a rejection.</summary>
public sealed record Verdict(IReadOnlyList<IMessage> Events, Rejection? Rejection)
{
    public bool Accepted => Rejection is null;

    public static Verdict Accept(params IMessage[] events) => new(events, null);

    public static Verdict Field(string field, string description) => new([], new FieldViolation(field, description));

    public static Verdict Rule(string reason, string description) => new([], new RuleViolation(reason, description));

    public static implicit operator Verdict(Rejection rejection) => new([], rejection);
}

public static partial class StateCodes
{
    public static bool IsValid(string? code) => code is not null && Alpha3().IsMatch(code);

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex Alpha3();

    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex IdPattern();
}
