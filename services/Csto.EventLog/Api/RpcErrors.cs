using Csto.EventLog.Commands;
using Csto.Kernel;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Csto.EventLog.Api;

/// <summary>Errors as google.rpc.Status with BadRequest / ErrorInfo details (AIP-193).</summary>
public static class RpcErrors
{
    public const string Domain = "csto";

    /// <summary>Bad input: a BadRequest naming the field, and an ErrorInfo when the refusal has a reason of its own.</summary>
    public static RpcException InvalidArgument(string field, string description, string? reason = null)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.InvalidArgument,
            Message = $"{field}: {description}",
            Details = { Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = description } } }) },
        };
        if (reason is not null)
        {
            status.Details.Add(Any.Pack(new ErrorInfo { Reason = reason, Domain = Domain, Metadata = { ["field"] = field } }));
        }

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

    static RpcException WithInfo(Code code, string reason, string description, IReadOnlyDictionary<string, string>? metadata)
    {
        var info = new ErrorInfo { Reason = reason, Domain = Domain };
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                info.Metadata[key] = value;
            }
        }

        return new Google.Rpc.Status { Code = (int)code, Message = description, Details = { Any.Pack(info) } }.ToRpcException();
    }
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
        StoreUnavailableException u => new Google.Rpc.Status
        {
            Code = (int)Code.Unavailable,
            Message = u.Message,
            Details = { Any.Pack(new ErrorInfo { Reason = "STORE_UNAVAILABLE", Domain = RpcErrors.Domain }) },
        }.ToRpcException(),
        AlreadyExistsException a => RpcErrors.AlreadyExists(a.Resource, a.Message),
        _ => null,
    };
}
