using Csto.Common.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Csto.EventLog.Api;

/// <summary>
/// Every write request carries a <c>provenance</c> field (csto.common.v1.Provenance). This interceptor checks it and
/// hands it to the command path, which puts it in the metadata of every event the write appends: one place for
/// every write of every service, instead of one line per endpoint that could be forgotten.
/// </summary>
public sealed class ProvenanceInterceptor : Interceptor
{
    /// <summary>The key of the request's provenance in <c>HttpContext.Items</c>.</summary>
    public const string ItemKey = "csto.provenance";

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        if (Of(request as IMessage) is { } provenance)
        {
            if (Kernel.Provenances.Problem(provenance) is { } problem)
            {
                throw RpcErrors.From(problem);
            }

            context.GetHttpContext().Items[ItemKey] = provenance;
        }

        return continuation(request, context);
    }

    /// <summary>The request's provenance field, when the message has one and it is set.</summary>
    public static Provenance? Of(IMessage? message) =>
        message?.Descriptor.FindFieldByName("provenance") is { } field && field.FieldType == Google.Protobuf.Reflection.FieldType.Message
            && field.MessageType.FullName == Provenance.Descriptor.FullName
            ? field.Accessor.GetValue(message) as Provenance
            : null;
}
