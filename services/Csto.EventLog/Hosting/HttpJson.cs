using System.Text.RegularExpressions;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Primitives;
using Microsoft.OpenApi.Models;

namespace Csto.EventLog.Hosting;

/// <summary>
/// The HTTP/JSON face beside gRPC: gRPC JSON transcoding of the methods with a google.api.http annotation (the same
/// service classes, interceptors, authentication, roles, limits and error mapping: the HTTP status follows the gRPC code
/// and the body is the google.rpc.Status with its details), and an OpenAPI document generated from the protos at
/// <c>/openapi/v1.json</c>, served without a token.
/// </summary>
public static partial class HttpJson
{
    public const string OpenApiPath = "/openapi/{documentName}.json";

    public static void Add(IServiceCollection services, IGrpcServerBuilder grpc, string serviceName)
    {
        // the details of an error (ErrorInfo, BadRequest) are written as JSON like the rest of the status
        grpc.AddJsonTranscoding(o => o.TypeRegistry = Api.StatusJson.Types);
        services.AddGrpcSwagger();
        services.TryAddEnumerable(Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Transient<IApiDescriptionProvider, ResourcePaths>());
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = $"CSTO {serviceName}",
                Version = "v1",
                Description = $"HTTP/JSON face of the {serviceName} service, transcoded from its gRPC API (protos/csto). Bearer JWT on every call. " +
                              "Messages in the protobuf JSON mapping; a date in a query is YYYY-MM-DD (as_of=2013-01-01) or as_of.year/as_of.month/as_of.day. " +
                              "Errors: the HTTP status of the gRPC code, the body a google.rpc.Status with ErrorInfo/BadRequest details.",
            });
            // messages of several packages share short names (ObserverKind in bodies and operations)
            o.CustomSchemaIds(t => t.FullName?.Replace('+', '.'));
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT" });
            o.AddSecurityRequirement(new OpenApiSecurityRequirement
            {
                [new OpenApiSecurityScheme { Reference = new OpenApiReference { Type = ReferenceType.SecurityScheme, Id = "bearer" } }] = [],
            });
        });
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapSwagger(OpenApiPath).AllowAnonymous();
        if (app is IApplicationBuilder pipeline)
        {
            var limit = app.ServiceProvider.GetRequiredService<Security.LimitsOptions>().MaxReceiveMessageBytes;
            pipeline.Use(HttpJsonInput.RouteErrorsAsync);
            pipeline.Use((context, next) => BodyLimit(context, next, limit));
            pipeline.Use(DateQueryParameters);
            pipeline.Use(HttpJsonInput.CheckAsync);
        }
    }

    /// <summary>A gRPC call (its content type application/grpc…), not an HTTP/JSON one.</summary>
    public static bool IsGrpc(HttpRequest request) =>
        (request?.ContentType ?? "").StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// An HTTP/JSON body is held to the same limit as a gRPC message (Limits:MaxReceiveMessageBytes): a declared length
    /// above it is refused before a byte is read (413, RESOURCE_EXHAUSTED REQUEST_TOO_LARGE in the JSON status), and a
    /// chunked body is cut off by Kestrel at the limit. gRPC calls keep gRPC's own check of each message.
    /// </summary>
    static Task BodyLimit(HttpContext context, Func<Task> next, int limit)
    {
        if (IsGrpc(context.Request))
        {
            return next();
        }

        if (context.Request.ContentLength > limit)
        {
            var status = Api.RpcErrors.Status(
                Google.Rpc.Code.ResourceExhausted,
                $"the request body is {context.Request.ContentLength} bytes; at most {limit} (Limits:MaxReceiveMessageBytes)",
                Api.RpcErrors.Info("REQUEST_TOO_LARGE", new Dictionary<string, string>(StringComparer.Ordinal) { ["limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            return Security.SecurityHosting.RefuseAsync(context, status, StatusCodes.Status413PayloadTooLarge);
        }

        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        return next();
    }

    /// <summary>Query fields of the APIs' requests that are a csto.common.v1.Date, by proto and JSON name.</summary>
    static readonly HashSet<string> DateFields = DateFieldsOf(
        Csto.Membership.V1.MembershipServiceReflection.Descriptor, Csto.Bodies.V1.BodiesServiceReflection.Descriptor,
        Csto.Operations.V1.OperationsServiceReflection.Descriptor, Csto.EventLog.V1.EventLogServiceReflection.Descriptor);

    static HashSet<string> DateFieldsOf(params FileDescriptor[] files) =>
        files.SelectMany(f => f.Services).SelectMany(s => s.Methods).SelectMany(m => m.InputType.Fields.InFieldNumberOrder())
            .Where(f => f.FieldType == FieldType.Message && f.MessageType == Csto.Common.V1.Date.Descriptor)
            .SelectMany(f => new[] { f.Name, f.JsonName }).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// <c>as_of=2013-01-01</c> in the query of an HTTP/JSON call becomes <c>as_of.year=2013&amp;as_of.month=1&amp;as_of.day=1</c>,
    /// the form transcoding binds to a Date message; anything else is left to the transcoder (which names a bad field).
    /// </summary>
    static Task DateQueryParameters(HttpContext context, Func<Task> next)
    {
        var query = context.Request.Query;
        if (query.Count > 0 && query.Any(q => DateFields.Contains(q.Key) && IsoDate().IsMatch(q.Value.ToString())))
        {
            var rewritten = new List<KeyValuePair<string, StringValues>>();
            foreach (var (key, value) in query)
            {
                if (DateFields.Contains(key) && IsoDate().Match(value.ToString()) is { Success: true } date)
                {
                    rewritten.Add(new($"{key}.year", date.Groups[1].Value));
                    rewritten.Add(new($"{key}.month", date.Groups[2].Value.TrimStart('0')));
                    rewritten.Add(new($"{key}.day", date.Groups[3].Value.TrimStart('0')));
                }
                else
                {
                    rewritten.Add(new(key, value));
                }
            }

            context.Request.QueryString = QueryString.Create(rewritten);
        }

        return next();
    }

    [GeneratedRegex(@"^(\d{4})-(\d{2})-(\d{2})$")]
    private static partial Regex IsoDate();

    [GeneratedRegex(@"\{(\w+)=([\w-]+)/\*\}")]
    private static partial Regex OneResourceVariable();

    /// <summary>
    /// In the OpenAPI document, <c>/v1/{name=decisions/*}</c> is <c>/v1/decisions/{name}</c> (the URL a client builds, with the
    /// id in the variable); the generator shows every such path as <c>/v1/{name}</c>, one path for GetBody, GetDecision, ...
    /// </summary>
    sealed class ResourcePaths : IApiDescriptionProvider
    {
        public int Order => int.MaxValue;

        public void OnProvidersExecuting(ApiDescriptionProviderContext context)
        {
        }

        public void OnProvidersExecuted(ApiDescriptionProviderContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            foreach (var api in context.Results)
            {
                if (api.ActionDescriptor.EndpointMetadata.OfType<GrpcJsonTranscodingMetadata>().FirstOrDefault() is not { } grpc)
                {
                    continue;
                }

                var rule = grpc.HttpRule;
                var pattern = rule.PatternCase switch
                {
                    Google.Api.HttpRule.PatternOneofCase.Get => rule.Get,
                    Google.Api.HttpRule.PatternOneofCase.Post => rule.Post,
                    Google.Api.HttpRule.PatternOneofCase.Put => rule.Put,
                    Google.Api.HttpRule.PatternOneofCase.Delete => rule.Delete,
                    Google.Api.HttpRule.PatternOneofCase.Patch => rule.Patch,
                    _ => null,
                };
                if (pattern is not null && OneResourceVariable().IsMatch(pattern))
                {
                    api.RelativePath = OneResourceVariable().Replace(pattern, "$2/{$1}").TrimStart('/');
                }
            }
        }
    }
}
