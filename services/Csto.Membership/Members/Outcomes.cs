using Google.Protobuf;

namespace Csto.Membership.Members;

public enum ViolationKind
{
    /// <summary>The input is wrong whatever the state (gRPC INVALID_ARGUMENT); Subject is the field.</summary>
    InvalidArgument,

    /// <summary>A rule forbids the act in the current state (gRPC FAILED_PRECONDITION); Subject is the rule.</summary>
    FailedPrecondition,
}

public sealed record RuleViolation(ViolationKind Kind, string Subject, string Message)
{
    public static RuleViolation Invalid(string field, string message) => new(ViolationKind.InvalidArgument, field, message);

    public static RuleViolation Rule(string reason, string message) => new(ViolationKind.FailedPrecondition, reason, message);
}

/// <summary>What a decide function answers: events to append (none: already recorded), or a violation.</summary>
public sealed record DecideResult(IReadOnlyList<IMessage> Events, RuleViolation? Violation)
{
    public static DecideResult Accept(params IMessage[] events) => new(events, null);

    public static DecideResult AlreadyRecorded { get; } = new([], null);

    public static DecideResult Reject(RuleViolation violation) => new([], violation);

    public bool IsRejected => Violation is not null;
}
