using Google.Protobuf;

namespace Csto.Kernel;

/// <summary>Why a command is refused: bad input naming a field, or a rule of the charter naming the rule.</summary>
public abstract record Violation(string Description)
{
    /// <summary>The machine-readable name of the refusal: the rule's reason, or the field for bad input.</summary>
    public abstract string Code { get; }
}

/// <summary>The input is wrong whatever the state: gRPC INVALID_ARGUMENT with a BadRequest naming <paramref name="Field"/>.</summary>
public sealed record InvalidField(string Field, string Description, string? Reason = null) : Violation(Description)
{
    public override string Code => Field;
}

/// <summary>A rule forbids the act in the current state: gRPC FAILED_PRECONDITION with <paramref name="Reason"/> (UPPER_SNAKE_CASE) in ErrorInfo.</summary>
public sealed record RuleBroken(string Reason, string Description, IReadOnlyDictionary<string, string>? Metadata = null) : Violation(Description)
{
    public override string Code => Reason;
}

/// <summary>The act would create an entity that exists already (e.g. a body of the same name under the same parent): gRPC ALREADY_EXISTS naming <paramref name="Resource"/>.</summary>
public sealed record ResourceExists(string Resource, string Description) : Violation(Description)
{
    public override string Code => "ALREADY_EXISTS";
}

/// <summary>What a pure decide function answers: the events to append (none: nothing to record), or a violation.</summary>
public sealed record Verdict(IReadOnlyList<IMessage> Events, Violation? Violation)
{
    public bool Accepted => Violation is null;

    public bool Refused => Violation is not null;

    public static Verdict Nothing { get; } = new([], null);

    public static Verdict Accept(params IMessage[] events) => new(events, null);

    public static Verdict Accept(IEnumerable<IMessage> events) => new([.. events], null);

    public static Verdict Invalid(string field, string description) => new([], new InvalidField(field, description));

    public static Verdict Rule(string reason, string description, IReadOnlyDictionary<string, string>? metadata = null) =>
        new([], new RuleBroken(reason, description, metadata));

    public static Verdict Of(Violation violation) => new([], violation);

    public static implicit operator Verdict(Violation violation) => new([], violation);
}

/// <summary>Bad input found while reading a request, before any state is loaded (mapped to INVALID_ARGUMENT by every host).</summary>
public sealed class InvalidFieldException(string field, string description, string? reason = null) : Exception($"{field}: {description}")
{
    public InvalidField Violation { get; } = new(field, description, reason);
}

/// <summary>A violation raised where a verdict cannot be returned (the command path throws it; hosts map it to gRPC).</summary>
public sealed class ViolationException(Violation violation) : Exception(violation.Description)
{
    public Violation Violation { get; } = violation;
}
