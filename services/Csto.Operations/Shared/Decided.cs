using Google.Protobuf;

namespace Csto.Operations.Shared;

/// <summary>Why a command was refused: an invalid field, or a rule of the charter or of the operation.</summary>
public abstract record Violation(string Description);

/// <summary>INVALID_ARGUMENT naming <paramref name="Field"/>.</summary>
public sealed record InvalidField(string Field, string Description) : Violation(Description);

/// <summary>FAILED_PRECONDITION with <paramref name="Reason"/> (UPPER_SNAKE_CASE) in ErrorInfo.</summary>
public sealed record RuleBroken(string Reason, string Description) : Violation(Description);

/// <summary>The result of a decide function: the events to append, or the violation.</summary>
public sealed record Decided(IReadOnlyList<IMessage> Events, Violation? Violation)
{
    public bool Refused => Violation is not null;

    public static Decided Ok(params IMessage[] events) => new(events, null);

    public static Decided Invalid(string field, string description) => new([], new InvalidField(field, description));

    public static Decided Broken(string reason, string description) => new([], new RuleBroken(reason, description));

    public static Decided Of(Violation violation) => new([], violation);
}
