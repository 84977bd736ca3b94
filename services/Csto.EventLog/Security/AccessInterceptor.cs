using Csto.EventLog.Api;
using Csto.Security;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Csto.EventLog.Security;

/// <summary>The access tables registered by the host, by method path.</summary>
public sealed class AccessPolicy(IEnumerable<AccessTable> tables)
{
    readonly Dictionary<string, AccessRule> _rules = tables
        .DistinctBy(t => t.Service.FullName)
        .SelectMany(t => t.Rules)
        .ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);

    /// <summary>Health and reflection answer anyone (their endpoints allow anonymous callers too).</summary>
    public static bool IsAnonymous(string method) =>
        method.StartsWith("/grpc.health.v1.", StringComparison.Ordinal) || method.StartsWith("/grpc.reflection.", StringComparison.Ordinal);

    public AccessRule? Find(string method) => _rules.GetValueOrDefault(method);
}

/// <summary>
/// Applies the access table before the method runs (so a refused call never reaches validation or the log):
/// the token's role must be in the method's row, and a delegate or reporter must act for its own state.
/// </summary>
public sealed class AccessInterceptor(AccessPolicy policy) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context, request as IMessage);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context, request as IMessage);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context, null);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context, null);
        return continuation(requestStream, responseStream, context);
    }

    void Check(ServerCallContext context, IMessage? request)
    {
        ArgumentNullException.ThrowIfNull(context);
        var method = context.Method;
        if (AccessPolicy.IsAnonymous(method))
        {
            return;
        }

        var rule = policy.Find(method) ?? throw RpcErrors.PermissionDenied("METHOD_NOT_IN_ACCESS_TABLE", $"{method} is in no access table of this service");
        var user = context.GetHttpContext().User;
        if (user.Identity?.IsAuthenticated != true)
        {
            throw RpcErrors.Unauthenticated("TOKEN_MISSING", "a bearer token is required");
        }

        var roles = user.FindAll(Claims.Role).Select(c => c.Value).ToList();
        var allowed = roles.Where(rule.Roles.Contains).ToList();
        if (allowed.Count == 0)
        {
            throw RpcErrors.PermissionDenied("ROLE_NOT_ALLOWED", $"role '{string.Join(",", roles)}' may not call {method}; allowed: {string.Join(", ", rule.Roles.Order(StringComparer.Ordinal))}");
        }

        if (allowed.Any(r => !Roles.IsStateBound(r)) || rule.StateField is null)
        {
            return;
        }

        var own = user.State();
        var actedFor = request is null ? "" : rule.StateOf(request);
        if (own.Length == 0 || !string.Equals(own, actedFor, StringComparison.Ordinal))
        {
            throw RpcErrors.PermissionDenied(
                "STATE_NOT_REPRESENTED",
                $"a {allowed[0]} {(own.Length == 0 ? "without a csto_state claim" : "of " + own)} may not act for '{actedFor}' ({rule.StateField})",
                new Dictionary<string, string>(StringComparer.Ordinal) { ["field"] = rule.StateField, ["token_state"] = own, ["request_state"] = actedFor });
        }
    }
}
