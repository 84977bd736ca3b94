using Csto.EventLog.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Csto.EventLog.Api;

/// <summary>
/// <c>csto.eventlog.v1.EventLogService/StreamEvents</c> on the gRPC endpoint, writing <see cref="EncodedEvents"/>: the
/// same method and the same wire messages (a client parses StreamEventsResponse), without building a message per record
/// on the server. It is mapped ahead of the generated method's route (<see cref="RouteOrder"/>); the generated one stays
/// for HTTP/JSON transcoding, which writes messages as JSON. The read loop, limits and errors are
/// <see cref="EventLogGrpcService"/>'s.
/// </summary>
[BindServiceMethod(typeof(EncodedStreamEventsService), nameof(BindService))]
public class EncodedStreamEventsService(IServiceProvider services)
{
    /// <summary>Route order of this endpoint: before the generated StreamEvents (order 0) on the same path.</summary>
    public const int RouteOrder = -1;

    static readonly Method<StreamEventsRequest, EncodedEvents> Method = new(
        MethodType.ServerStreaming,
        EventLogService.Descriptor.FullName,
        "StreamEvents",
        Marshallers.Create(r => r.ToByteArray(), StreamEventsRequest.Parser.ParseFrom),
        EncodedEvents.Marshaller);

    public static void BindService(ServiceBinderBase binder, EncodedStreamEventsService? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        // Grpc.AspNetCore resolves the handler per call by name and parameter types (a virtual method of this class)
        binder.AddMethod(Method, service is null ? null : service.StreamEvents);
    }

    public virtual Task StreamEvents(StreamEventsRequest request, IServerStreamWriter<EncodedEvents> responseStream, ServerCallContext context) =>
        ActivatorUtilities.CreateInstance<EventLogGrpcService>(services).StreamEncodedEvents(request, responseStream, context);
}
