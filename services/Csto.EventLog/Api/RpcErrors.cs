using Csto.EventLog.Commands;
using Csto.Kernel;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Csto.EventLog.Api;

/// <summary>Errors as google.rpc.Status with BadRequest / ErrorInfo details (AIP-193).</summary>
public static class RpcErrors
{
    public const string Domain = "csto";

    /// <summary>
    /// Every status of the suite, built once: the message made readable by every client (<see cref="Readable"/>) and the
    /// details packed. ErrorInfo reasons are the values of csto.common.v1.ErrorReason without their prefix.
    /// </summary>
    public static Google.Rpc.Status Status(Code code, string message, params IMessage[] details)
    {
        ArgumentNullException.ThrowIfNull(details);
        var status = new Google.Rpc.Status { Code = (int)code, Message = Readable(message) };
        foreach (var detail in details)
        {
            status.Details.Add(Any.Pack(detail));
        }

        return status;
    }

    public static ErrorInfo Info(string reason, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var info = new ErrorInfo { Reason = reason, Domain = Domain };
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                info.Metadata[key] = value;
            }
        }

        return info;
    }

    /// <summary>
    /// A status message in printable ASCII without '%': the only characters that grpc-message carries as they are (the
    /// wire percent-encodes the others, and not every client decodes them). Typographic dashes and quotes become ASCII
    /// ones, anything else a '?' (the details keep the exact values: field names, codes, metadata).
    /// </summary>
    public static string Readable(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.All(c => c is >= ' ' and <= '~' and not '%'))
        {
            return message;
        }

        var text = new System.Text.StringBuilder(message.Length);
        foreach (var c in message)
        {
            text.Append(c switch
            {
                >= ' ' and <= '~' and not '%' => c.ToString(),
                '%' => " percent",
                '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\u2212' => "-",
                '\u2018' or '\u2019' => "'",
                '\u201C' or '\u201D' or '\u00AB' or '\u00BB' => "\"",
                '\u2026' => "...",
                '\u2264' => "<=",
                '\u2265' => ">=",
                '\n' or '\r' or '\t' or '\u00A0' => " ",
                _ => "?",
            });
        }

        return text.ToString();
    }

    /// <summary>Bad input: a BadRequest naming the field, and an ErrorInfo when the refusal has a reason of its own.</summary>
    public static RpcException InvalidArgument(string field, string description, string? reason = null)
    {
        var violation = new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = description } } };
        var status = reason is null
            ? Status(Code.InvalidArgument, $"{field}: {description}", violation)
            : Status(Code.InvalidArgument, $"{field}: {description}", violation, Info(reason, new Dictionary<string, string> { ["field"] = field }));
        return status.ToRpcException();
    }

    /// <summary>A decide function's refusal as the caller sees it.</summary>
    public static RpcException From(Violation violation) => violation switch
    {
        InvalidField f => InvalidArgument(f.Field, f.Description, f.Reason),
        RuleBroken r => FailedPrecondition(r.Reason, r.Description, r.Metadata),
        ResourceExists e => AlreadyExists(e.Resource, e.Description),
        _ => throw new ArgumentOutOfRangeException(nameof(violation), violation, "unknown violation"),
    };

    public static RpcException AlreadyExists(string resource, string description) =>
        WithInfo(Code.AlreadyExists, "ALREADY_EXISTS", description, new Dictionary<string, string> { ["resource"] = resource });

    /// <summary>A rule forbids the act; <paramref name="reason"/> names the rule (UPPER_SNAKE_CASE).</summary>
    public static RpcException FailedPrecondition(string reason, string description, IReadOnlyDictionary<string, string>? metadata = null) =>
        WithInfo(Code.FailedPrecondition, reason, description, metadata);

    public static RpcException NotFound(string resource, string description) =>
        WithInfo(Code.NotFound, "NOT_FOUND", description, new Dictionary<string, string> { ["resource"] = resource });

    public static RpcException Aborted(string reason, string description, IReadOnlyDictionary<string, string>? metadata = null) =>
        WithInfo(Code.Aborted, reason, description, metadata);

    /// <summary>The caller's role or state may not do this (the token itself is fine).</summary>
    public static RpcException PermissionDenied(string reason, string description, IReadOnlyDictionary<string, string>? metadata = null) =>
        WithInfo(Code.PermissionDenied, reason, description, metadata);

    /// <summary>No token, or one that does not verify.</summary>
    public static RpcException Unauthenticated(string reason, string description) => WithInfo(Code.Unauthenticated, reason, description, null);

    public static RpcException ResourceExhausted(string reason, string description, IReadOnlyDictionary<string, string>? metadata = null) =>
        WithInfo(Code.ResourceExhausted, reason, description, metadata);

    static RpcException WithInfo(Code code, string reason, string description, IReadOnlyDictionary<string, string>? metadata) =>
        Status(code, description, Info(reason, metadata)).ToRpcException();
}

/// <summary>Maps the log's exceptions to gRPC statuses for every method of a host.</summary>
public sealed class EventLogErrorInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (Map(ex) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (Map(ex) is { } mapped)
        {
            throw mapped;
        }
    }

    static RpcException? Map(Exception ex) => ex switch
    {
        WrongExpectedVersionException w => RpcErrors.Aborted("WRONG_EXPECTED_VERSION", w.Message, new Dictionary<string, string>
        {
            ["stream_id"] = w.StreamId,
            ["expected_version"] = w.Expected.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["actual_version"] = w.Actual.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }),
        InvalidAppendException i => RpcErrors.InvalidArgument(i.Field, i.Message),
        ViolationException v => RpcErrors.From(v.Violation),
        InvalidFieldException f => RpcErrors.From(f.Violation),
        NotFoundException n => RpcErrors.NotFound(n.Resource, n.Message),
        StoreUnavailableException u => RpcErrors.Status(Code.Unavailable, u.Message, RpcErrors.Info("STORE_UNAVAILABLE")).ToRpcException(),
        AlreadyExistsException a => RpcErrors.AlreadyExists(a.Resource, a.Message),
        _ => null,
    };
}

/// <summary>A google.rpc.Status in the protobuf JSON mapping, details included (what HTTP/JSON callers receive).</summary>
public static class StatusJson
{
    /// <summary>The messages a status's details hold (google.rpc error details).</summary>
    public static readonly Google.Protobuf.Reflection.TypeRegistry Types = Google.Protobuf.Reflection.TypeRegistry.FromFiles(ErrorDetailsReflection.Descriptor);

    static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(Types));

    public static string Format(Google.Rpc.Status status) => Formatter.Format(status);
}
