using System.Reflection;
using System.Text;
using Google.Protobuf;
using Google.Rpc;
using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Csto.EventLog.Api;

/// <summary>
/// Binds the gRPC services of a host as Grpc.AspNetCore's own binder does (the generated <c>BindService</c>, the handler
/// found by name on the service class, its attributes as endpoint metadata), with one difference: bytes that are not a
/// message of the method's request type (truncated, a string that is not UTF-8, nesting deeper than protobuf's limit,
/// a wrong wire type) are INVALID_ARGUMENT naming the body, logged at Information without a stack trace, instead of
/// UNKNOWN "Exception was thrown by handler" logged as an error. Grpc.AspNetCore deserializes before any interceptor runs,
/// so the request's marshaller is where the refusal can be made.
/// </summary>
public sealed class StrictMethodProvider<TService> : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (BindMethod(typeof(TService)) is not { } bind)
        {
            return; // not a gRPC service class (Grpc.AspNetCore's binder would find nothing either)
        }

        bind.Invoke(null, [new Binder(context), null]);
    }

    /// <summary>The static <c>BindService(ServiceBinderBase, T)</c> named by the nearest <see cref="BindServiceMethodAttribute"/>.</summary>
    static MethodInfo? BindMethod(Type service)
    {
        for (var type = service; type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } attribute)
            {
                return attribute.BindType.GetMethod(attribute.BindMethodName, BindingFlags.Public | BindingFlags.Static, [typeof(ServiceBinderBase), type]);
            }
        }

        return null;
    }

    /// <summary>Registers each method the generated code binds, with a request marshaller that refuses what is not a message.</summary>
    sealed class Binder(ServiceMethodProviderContext<TService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            ArgumentNullException.ThrowIfNull(method);
            var (invoker, metadata) = Handler<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(Strict(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            ArgumentNullException.ThrowIfNull(method);
            var (invoker, metadata) = Handler<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(Strict(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            ArgumentNullException.ThrowIfNull(method);
            var (invoker, metadata) = Handler<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(Strict(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            ArgumentNullException.ThrowIfNull(method);
            var (invoker, metadata) = Handler<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(Strict(method), metadata, invoker);
        }

        static (TDelegate Invoker, List<object> Metadata) Handler<TDelegate>(string name, params Type[] parameters)
            where TDelegate : Delegate
        {
            // the most derived public override (or the generated base's UNIMPLEMENTED one when the service has none)
            var handler = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
                ?? throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true)); // the class's attributes first (lower priority)
            metadata.AddRange(handler.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), handler), metadata);
        }
    }

    static Method<TRequest, TResponse> Strict<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class
    {
        var inner = method.RequestMarshaller;
        var requestType = typeof(TRequest);
        var marshaller = new Marshaller<TRequest>(
            inner.ContextualSerializer,
            context =>
            {
                try
                {
                    return inner.ContextualDeserializer(context);
                }
                catch (Exception ex) when (ex is InvalidProtocolBufferException or DecoderFallbackException)
                {
                    throw NotAMessage(MessageName(requestType), ex);
                }
            });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    static string MessageName(Type type) =>
        type.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is Google.Protobuf.Reflection.MessageDescriptor d ? d.FullName : type.Name;

    /// <summary>INVALID_ARGUMENT with a BadRequest naming <c>body</c>: what protobuf found wrong in the bytes.</summary>
    internal static RpcException NotAMessage(string messageType, Exception ex) =>
        RpcErrors.Status(
            Code.InvalidArgument,
            $"body: not a valid {messageType} message ({Reason(ex)})",
            new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = "body", Description = $"not a valid {messageType} message: {Reason(ex)}" } } },
            RpcErrors.Info("MALFORMED_MESSAGE", new Dictionary<string, string>(StringComparer.Ordinal) { ["field"] = "body", ["message_type"] = messageType })).ToRpcException();

    static string Reason(Exception ex) => ex switch
    {
        DecoderFallbackException => "a string field holds bytes that are not UTF-8",
        _ => ex.Message.TrimEnd('.'),
    };
}

/// <summary>Puts <see cref="StrictMethodProvider{TService}"/> in the place of Grpc.AspNetCore's own binder.</summary>
public static class StrictMethodProviders
{
    public static void Use(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var binders = services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>) && IsGrpcBinder(d.ImplementationType)).ToList();
        if (binders.Count == 0)
        {
            throw new InvalidOperationException("Grpc.AspNetCore's BinderServiceMethodProvider is not registered (AddGrpc first; has the package changed how it binds services?)");
        }

        binders.ForEach(d => services.Remove(d));
        services.Add(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(StrictMethodProvider<>)));
    }

    /// <summary>At start: a later AddGrpc (which adds Grpc.AspNetCore's binder again) would bind every method twice.</summary>
    public static void EnsureUsed(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var providers = services.GetServices<IServiceMethodProvider<EventLogGrpcService>>().Select(p => p.GetType()).ToList();
        if (providers.Any(IsGrpcBinder) || !providers.Contains(typeof(StrictMethodProvider<EventLogGrpcService>)))
        {
            throw new InvalidOperationException("Grpc.AspNetCore's own binder is registered again after StrictMethodProviders.Use: call Use after the last AddGrpc, AddGrpcReflection or AddGrpcHealthChecks");
        }
    }

    static bool IsGrpcBinder(Type? type) => type is { } t && t.Name.StartsWith("BinderServiceMethodProvider", StringComparison.Ordinal);
}
