using Csto.EventLog.V1;
using Csto.Kernel;
using Google.Protobuf;

namespace Csto.EventLog.Commands;

/// <summary>What the stream must look like before the write.</summary>
public enum StreamExpectation
{
    /// <summary>New or existing.</summary>
    Any,

    /// <summary>The entity exists: NOT_FOUND naming the resource otherwise.</summary>
    Existing,

    /// <summary>The entity is created here: ALREADY_EXISTS naming the resource otherwise (unless the call is a retry).</summary>
    New,
}

/// <summary>
/// One write to one stream, as every service states it: the stream, how to fold its records into state, and the pure
/// decide function. The command path does the rest (load, retry recognition, decide, append with the expected version,
/// metadata, errors). <see cref="Scope"/> names the act: the event ids derive from the scope and the request_id.
/// </summary>
public sealed record Command<TState>(string Stream, Func<IReadOnlyList<EventRecord>, TState> Fold, Func<TState, Verdict> Decide) : ICommand
{
    /// <summary>The act, e.g. "RecordPosition|KAZ"; with the request id it derives the event ids.</summary>
    public string Scope { get; init; } = "";

    /// <summary>
    /// The fold continued: from the state of the stream's first records and the records appended after them, the state of
    /// all of them, as <see cref="Fold"/> of all of them would give. With it the command path keeps the state of a long
    /// stream (<see cref="FoldedStates"/>), and the next write on it reads and folds only what was appended since. The
    /// state must not change once built, and a state type has one fold per stream.
    /// </summary>
    public Func<TState, IReadOnlyList<EventRecord>, TState>? FoldFrom { get; init; }

    /// <summary>AIP-155 request id; empty: random event ids, a repeated call is a new call.</summary>
    public string RequestId { get; init; } = "";

    public StreamExpectation Expect { get; init; } = StreamExpectation.Any;

    /// <summary>The resource name in NOT_FOUND / ALREADY_EXISTS ("operations/channel").</summary>
    public string Resource { get; init; } = "";

    /// <summary>The date an event happened in the world; default: the event's own effective_date field, else <see cref="EffectiveDate"/>.</summary>
    public Func<IMessage, DateOnly?>? EffectiveDateOf { get; init; }

    /// <summary>The date of the act when an event does not carry its own.</summary>
    public DateOnly? EffectiveDate { get; init; }

    /// <summary>The date of the act from the state it was decided on (a draft's session date), when an event does not carry its own.</summary>
    public Func<TState, DateOnly?>? ActDate { get; init; }

    /// <summary>For a consumer: what to record instead when the rules refuse (e.g. a refusal in its own stream); null: nothing.</summary>
    public Func<Violation, ICommand?>? OnRefused { get; init; }

    async Task<IWritten> ICommand.RunAsync(CommandPath path, WriteContext context, CancellationToken cancellationToken) =>
        await path.RunAsync(this, context, cancellationToken).ConfigureAwait(false);
}

/// <summary>A command of any state type, as a consumer hands it to the inbox.</summary>
public interface ICommand
{
    internal Task<IWritten> RunAsync(CommandPath path, WriteContext context, CancellationToken cancellationToken);
}

public interface IWritten
{
    IReadOnlyList<string> EventIds { get; }

    /// <summary>For a consumer's write: the rule that refused it (the refusal, or only the inbox entry, was recorded instead).</summary>
    Violation? Refused { get; }
}

/// <summary>
/// The result of a write: the stream's state after it, the records the write read (the whole stream, or, when it
/// continued a state it held, those appended since), the ids and messages of the events this call appended (or, for a
/// retry, the ones the first call appended).
/// </summary>
public sealed record Written<TState>(TState State, IReadOnlyList<EventRecord> Records, IReadOnlyList<string> EventIds, IReadOnlyList<IMessage> Events, bool Retried) : IWritten
{
    public Violation? Refused { get; init; }
}

/// <summary>Who writes and why: how event ids are derived, the metadata every event gets, and the inbox entry of a consumer.</summary>
public sealed record WriteContext(string Key, EventMetadata Metadata, InboxEntry? Inbox, bool Derived);
