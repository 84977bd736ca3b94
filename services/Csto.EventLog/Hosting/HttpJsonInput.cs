using System.Globalization;
using System.Text.Json;
using Google.Protobuf.Reflection;
using BadRequest = Google.Rpc.BadRequest;
using Code = Google.Rpc.Code;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Http;

namespace Csto.EventLog.Hosting;

/// <summary>
/// What an HTTP/JSON request says, checked against its method's request message before the transcoder reads it, so that a
/// REST client learns which field is wrong: a query parameter or a body property that is no field of the message (the
/// OpenAPI document says <c>additionalProperties: false</c>), a value of the wrong JSON type, a message given where a
/// scalar goes, a body that is not JSON. Each is 400 with a google.rpc.Status naming the field in a BadRequest, as every
/// other bad input is. And a route or method that does not exist answers 404 or 405 with the same kind of body, not an
/// empty one.
/// </summary>
public static class HttpJsonInput
{
    /// <summary>Middleware: the request's query and body against the request message of the transcoded method it was routed to.</summary>
    public static async Task CheckAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (HttpJson.IsGrpc(context.Request) || context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not { } grpc)
        {
            await next().ConfigureAwait(false);
            return;
        }

        var input = grpc.MethodDescriptor.InputType;
        foreach (var (key, values) in context.Request.Query)
        {
            if (QueryProblem(input, key, values) is { } problem)
            {
                await RefuseAsync(context, problem.Field, problem.Description).ConfigureAwait(false);
                return;
            }
        }

        if (grpc.HttpRule.Body is { Length: > 0 } bodyField && (context.Request.ContentLength is null or > 0 || bodyField == "*"))
        {
            var target = bodyField == "*" ? input : input.FindFieldByName(bodyField)?.MessageType;
            if (target is not null && await BodyProblemAsync(context.Request, target, bodyField == "*" ? "" : bodyField + ".").ConfigureAwait(false) is { } problem)
            {
                await RefuseAsync(context, problem.Field, problem.Description).ConfigureAwait(false);
                return;
            }
        }

        await next().ConfigureAwait(false);
    }

    /// <summary>Middleware: a 404 or 405 of routing (no endpoint wrote anything) gets a google.rpc.Status body.</summary>
    public static async Task RouteErrorsAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        await next().ConfigureAwait(false);
        var response = context.Response;
        if (HttpJson.IsGrpc(context.Request) || response.HasStarted || response.ContentType is not null || response.StatusCode is not (404 or 405))
        {
            return;
        }

        var path = context.Request.Path.ToString();
        var status = response.StatusCode == 404
            ? Api.RpcErrors.Status(Code.NotFound, $"no route {context.Request.Method} {path}: the routes are in /openapi/v1.json", Api.RpcErrors.Info("NOT_FOUND", new Dictionary<string, string>(StringComparer.Ordinal) { ["resource"] = path }))
            : Api.RpcErrors.Status(Code.Unimplemented, $"{context.Request.Method} is not a method of {path}: the routes are in /openapi/v1.json", Api.RpcErrors.Info("METHOD_NOT_ALLOWED", new Dictionary<string, string>(StringComparer.Ordinal) { ["method"] = context.Request.Method, ["path"] = path }));
        response.ContentType = "application/json";
        await response.WriteAsync(Api.StatusJson.Format(status), context.RequestAborted).ConfigureAwait(false);
    }

    static Task RefuseAsync(HttpContext context, string field, string description) =>
        Security.SecurityHosting.RefuseAsync(
            context,
            Api.RpcErrors.Status(Code.InvalidArgument, $"{field}: {description}", new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = description } } }),
            StatusCodes.Status400BadRequest);

    static FieldDescriptor? Field(MessageDescriptor message, string name) =>
        message.FindFieldByName(name) ?? message.Fields.InDeclarationOrder().FirstOrDefault(f => string.Equals(f.JsonName, name, StringComparison.Ordinal));

    static bool IsWellKnown(MessageDescriptor message) => message.FullName.StartsWith("google.protobuf.", StringComparison.Ordinal);

    /// <summary>A query parameter names a field (a path of fields: <c>as_of.year</c>) and holds a value of its type.</summary>
    static (string Field, string Description)? QueryProblem(MessageDescriptor input, string key, Microsoft.Extensions.Primitives.StringValues values)
    {
        var message = input;
        var parts = key.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            if (Field(message, parts[i]) is not { } field)
            {
                return (key, $"not a field of {message.FullName}: the query takes the fields of the request, as the OpenAPI document lists them");
            }

            var last = i == parts.Length - 1;
            if (field.FieldType != FieldType.Message)
            {
                return last ? values.Select(v => ScalarProblem(field, v ?? "")).FirstOrDefault(p => p is not null) is { } problem ? (key, problem) : null
                    : (key, $"{string.Join('.', parts[..(i + 1)])} is a {Describe(field)}, it has no field {parts[i + 1]}");
            }

            if (IsWellKnown(field.MessageType))
            {
                return null; // a timestamp, duration or wrapper: the transcoder reads its string form
            }

            if (last)
            {
                return field.MessageType == Csto.Common.V1.Date.Descriptor
                    ? (key, $"a date: YYYY-MM-DD ({key}=2013-01-01), or {key}.year, {key}.month and {key}.day; '{values}' is neither")
                    : (key, $"a {field.MessageType.Name} message: give its fields as {key}.<field>");
            }

            message = field.MessageType;
        }

        return null;
    }

    /// <summary>A scalar from a query string: a number where a number goes, true or false, an enum value's name or number.</summary>
    static string? ScalarProblem(FieldDescriptor field, string value) => field.FieldType switch
    {
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? null : $"a whole number (32 bits), not '{value}'",
        FieldType.UInt32 or FieldType.Fixed32 => uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? null : $"a whole number 0 or more (32 bits), not '{value}'",
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? null : $"a whole number, not '{value}'",
        FieldType.UInt64 or FieldType.Fixed64 => ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? null : $"a whole number 0 or more, not '{value}'",
        FieldType.Double or FieldType.Float => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _) || value is "NaN" or "Infinity" or "-Infinity" ? null : $"a number, not '{value}'",
        FieldType.Bool => value is "true" or "false" ? null : $"true or false, not '{value}'",
        FieldType.Enum => field.EnumType.FindValueByName(value) is not null || int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? null
            : $"one of {string.Join(", ", field.EnumType.Values.Select(v => v.Name))}, not '{value}'",
        _ => null,
    };

    /// <summary>The body: JSON, an object, and every property a field of the message holding a value of its type.</summary>
    static async Task<(string Field, string Description)?> BodyProblemAsync(HttpRequest request, MessageDescriptor target, string prefix)
    {
        request.EnableBuffering();
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 64 }, request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            var empty = ex.BytePositionInLine == 0 && ex.LineNumber == 0 && request.Body.Length == 0;
            return ("body", empty
                ? $"empty: send a JSON object of {target.FullName} ({{}} when every field may stay unset)"
                : $"not JSON: {ex.Message.Split(" Path:", StringSplitOptions.None)[0].Split(" LineNumber:", StringSplitOptions.None)[0]} (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})");
        }
        finally
        {
            request.Body.Position = 0;
        }

        using (document)
        {
            return MessageProblem(document.RootElement, target, prefix.Length == 0 ? "body" : prefix.TrimEnd('.'), prefix);
        }
    }

    static (string Field, string Description)? MessageProblem(JsonElement value, MessageDescriptor message, string name, string prefix)
    {
        if (IsWellKnown(message))
        {
            return null; // the transcoder knows their JSON forms (a timestamp is a string, a Struct anything)
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return (name, $"a JSON object ({message.FullName}), not {Kind(value)}");
        }

        foreach (var property in value.EnumerateObject())
        {
            var path = prefix + property.Name;
            if (Field(message, property.Name) is not { } field)
            {
                return (path, $"not a field of {message.FullName} (the fields: {string.Join(", ", message.Fields.InDeclarationOrder().Select(f => f.JsonName))})");
            }

            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                continue; // unset
            }

            if (field.IsMap)
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    return (path, $"a JSON object (a map), not {Kind(property.Value)}");
                }

                var valueField = field.MessageType.FindFieldByNumber(2);
                foreach (var entry in property.Value.EnumerateObject())
                {
                    if (ValueProblem(entry.Value, valueField, $"{path}[{entry.Name}]") is { } problem)
                    {
                        return problem;
                    }
                }
            }
            else if (field.IsRepeated)
            {
                if (property.Value.ValueKind != JsonValueKind.Array)
                {
                    return (path, $"a JSON array, not {Kind(property.Value)}");
                }

                var i = 0;
                foreach (var item in property.Value.EnumerateArray())
                {
                    if (ValueProblem(item, field, $"{path}[{i++}]") is { } problem)
                    {
                        return problem;
                    }
                }
            }
            else if (ValueProblem(property.Value, field, path) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    static (string Field, string Description)? ValueProblem(JsonElement value, FieldDescriptor field, string path)
    {
        if (field.FieldType == FieldType.Message)
        {
            return MessageProblem(value, field.MessageType, path, path + ".");
        }

        var problem = field.FieldType switch
        {
            FieldType.String => value.ValueKind == JsonValueKind.String ? null : "a JSON string",
            FieldType.Bytes => value.ValueKind == JsonValueKind.String && IsBase64(value.GetString()!) ? null : "a base64 string",
            FieldType.Bool => value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : "true or false",
            FieldType.Enum => value.ValueKind == JsonValueKind.String && field.EnumType.FindValueByName(value.GetString()!) is null
                ? $"one of {string.Join(", ", field.EnumType.Values.Select(v => v.Name))}"
                : value.ValueKind is JsonValueKind.String or JsonValueKind.Number ? null : $"one of {string.Join(", ", field.EnumType.Values.Select(v => v.Name))}",
            FieldType.Double or FieldType.Float => value.ValueKind == JsonValueKind.Number || (value.ValueKind == JsonValueKind.String && ScalarProblem(field, value.GetString()!) is null) ? null : "a number",
            _ => value.ValueKind == JsonValueKind.Number && ScalarProblem(field, value.GetRawText()) is null
                 || (value.ValueKind == JsonValueKind.String && ScalarProblem(field, value.GetString()!) is null) ? null : $"a {Describe(field)}",
        };
        return problem is null ? null : (path, $"{problem}, not {Kind(value)}");
    }

    static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='), buffer, out _);
    }

    static string Describe(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => "whole number (32 bits)",
        FieldType.UInt32 or FieldType.Fixed32 => "whole number 0 or more (32 bits)",
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => "whole number",
        FieldType.UInt64 or FieldType.Fixed64 => "whole number 0 or more",
        FieldType.Enum => "enum " + field.EnumType.Name,
        FieldType.Message => field.MessageType.Name + " message",
        var other => other.ToString().ToLowerInvariant(),
    };

    static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string {Shorten(value.GetRawText())}",
        JsonValueKind.Number => $"the number {Shorten(value.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    static string Shorten(string text) => text.Length > 40 ? text[..40] + "..." : text;
}
