using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Csto.Testing;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit;
using Xunit.Abstractions;

namespace Csto.Security.Tests;

/// <summary>
/// Random and mutated bytes at every gRPC method of the three services, and random and mutated JSON at every HTTP/JSON
/// route, with every role's token: whatever arrives, the answer is a status a client can act on (never UNKNOWN or
/// INTERNAL, never HTTP 500), the services keep serving, and nothing is appended. The seed is printed (CSTO_FUZZ_SEED
/// replays a run; CSTO_FUZZ_CASES sets the cases per method, default 24).
/// </summary>
public sealed partial class FuzzTests(SecureSuite suite, ITestOutputHelper output) : IClassFixture<SecureSuite>
{
    static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    static readonly (string Host, ServiceDescriptor Service)[] Services =
    [
        ("membership", Csto.Membership.V1.MembershipService.Descriptor),
        ("membership", Csto.EventLog.V1.EventLogService.Descriptor),
        ("bodies", Csto.Bodies.V1.BodiesService.Descriptor),
        ("bodies", Csto.EventLog.V1.EventLogService.Descriptor),
        ("operations", Csto.Operations.V1.OperationsService.Descriptor),
        ("operations", Csto.EventLog.V1.EventLogService.Descriptor),
    ];

    static int Seed => int.TryParse(Environment.GetEnvironmentVariable("CSTO_FUZZ_SEED"), out var s) ? s : Environment.TickCount & 0x7fffffff;

    static int Cases => int.TryParse(Environment.GetEnvironmentVariable("CSTO_FUZZ_CASES"), out var n) && n > 0 ? n : 24;

    static bool Acceptable(StatusCode code) => code is not (StatusCode.Unknown or StatusCode.Internal or StatusCode.DataLoss);

    [Fact]
    public async Task Random_and_mutated_requests_at_every_method_get_a_clear_status_and_append_nothing()
    {
        var seed = Seed;
        output.WriteLine($"fuzz seed {seed} (CSTO_FUZZ_SEED={seed} replays it), {Cases} cases per method and role kind");
        var random = new Random(seed);
        var heads = suite.Heads();
        var failures = new List<string>();
        var calls = 0;
        foreach (var (hostName, service) in Services)
        {
            var host = suite[hostName];
            foreach (var method in service.Methods)
            {
                var raw = new Method<byte[], byte[]>(method.IsServerStreaming ? MethodType.ServerStreaming : MethodType.Unary, service.FullName, method.Name, Bytes, Bytes);
                for (var i = 0; i < Cases; i++)
                {
                    var (what, body) = Payload(random, method.InputType);
                    var role = Roles.All[random.Next(Roles.All.Count)];
                    var invoker = host.ChannelFor(role, Roles.IsStateBound(role) ? "RUS" : null);
                    calls++;
                    var code = await CallAsync(invoker, raw, body);
                    if (!Acceptable(code.StatusCode))
                    {
                        failures.Add($"seed {seed} {hostName} {method.FullName} as {role}, {what} [{Convert.ToHexString(body.AsSpan(0, Math.Min(body.Length, 48)))}{(body.Length > 48 ? "..." : "")}] ({body.Length} bytes): {code.StatusCode} {code.Detail}");
                    }
                }
            }
        }

        output.WriteLine($"{calls} gRPC calls, {failures.Count} answered UNKNOWN/INTERNAL");
        await suite.StillServingAsync();
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.Equal(heads, suite.Heads());
    }

    [Fact]
    public async Task Random_and_mutated_json_at_every_http_route_gets_a_clear_status_and_appends_nothing()
    {
        var seed = Seed;
        output.WriteLine($"fuzz seed {seed} (CSTO_FUZZ_SEED={seed} replays it), {Cases} cases per route");
        var random = new Random(seed);
        var heads = suite.Heads();
        var failures = new List<string>();
        var calls = 0;
        foreach (var (hostName, service) in Services)
        {
            using var http = new HttpClient { BaseAddress = new Uri(suite[hostName].Address), Timeout = TimeSpan.FromSeconds(20) };
            foreach (var method in service.Methods)
            {
                if (method.GetOptions()?.GetExtension(Google.Api.AnnotationsExtensions.Http) is not { } rule)
                {
                    continue;
                }

                var (verb, template) = rule.PatternCase switch
                {
                    Google.Api.HttpRule.PatternOneofCase.Get => (HttpMethod.Get, rule.Get),
                    Google.Api.HttpRule.PatternOneofCase.Post => (HttpMethod.Post, rule.Post),
                    Google.Api.HttpRule.PatternOneofCase.Put => (HttpMethod.Put, rule.Put),
                    Google.Api.HttpRule.PatternOneofCase.Delete => (HttpMethod.Delete, rule.Delete),
                    Google.Api.HttpRule.PatternOneofCase.Patch => (HttpMethod.Patch, rule.Patch),
                    _ => (HttpMethod.Get, ""),
                };
                for (var i = 0; i < Cases; i++)
                {
                    var role = Roles.All[random.Next(Roles.All.Count)];
                    var path = Route(random, template) + Query(random, method.InputType);
                    using var request = new HttpRequestMessage(verb, path);
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(role, Roles.IsStateBound(role) ? "RUS" : null));
                    string? json = null;
                    if (verb != HttpMethod.Get && verb != HttpMethod.Delete)
                    {
                        json = Json(random, method.InputType);
                        request.Content = new StringContent(json, Encoding.UTF8, "application/json");
                    }

                    calls++;
                    using var response = await http.SendAsync(request);
                    var text = await response.Content.ReadAsStringAsync();
                    if ((int)response.StatusCode >= 500 || JsonCode().Match(text) is { Success: true } m && m.Groups[1].Value is "2" or "13" or "15")
                    {
                        failures.Add($"seed {seed} {verb} {path} as {role} body {Shorten(json)}: HTTP {(int)response.StatusCode} {Shorten(text)}");
                    }
                }
            }
        }

        output.WriteLine($"{calls} HTTP/JSON calls, {failures.Count} answered 5xx or UNKNOWN/INTERNAL");
        await suite.StillServingAsync();
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.Equal(heads, suite.Heads());
    }

    static async Task<Status> CallAsync(CallInvoker invoker, Method<byte[], byte[]> method, byte[] body)
    {
        // a stream may follow the log for ever: 2 s of it is enough to see how it answers
        var options = new CallOptions(deadline: DateTime.UtcNow.AddSeconds(method.Type == MethodType.ServerStreaming ? 2 : 20));
        try
        {
            if (method.Type == MethodType.ServerStreaming)
            {
                using var call = invoker.AsyncServerStreamingCall(method, null, options, body);
                var messages = 0;
                while (await call.ResponseStream.MoveNext(CancellationToken.None) && ++messages < 50)
                {
                }

                return Status.DefaultSuccess;
            }

            await invoker.AsyncUnaryCall(method, null, options, body).ResponseAsync;
            return Status.DefaultSuccess;
        }
        catch (RpcException ex)
        {
            return ex.Status;
        }
    }

    /// <summary>One request body: random bytes, a message of the request type with random values, or such a message mutated.</summary>
    static (string What, byte[] Body) Payload(Random random, MessageDescriptor type)
    {
        switch (random.Next(5))
        {
            case 0:
                var bytes = new byte[random.Next(0, 200)];
                random.NextBytes(bytes);
                return ("random bytes", bytes);
            case 1:
                return ("a message with random values", RandomMessage(random, type, 0).ToByteArray());
            default:
                var message = RandomMessage(random, type, 0).ToByteArray().ToList();
                var edits = 1 + random.Next(4);
                for (var e = 0; e < edits; e++)
                {
                    var at = message.Count == 0 ? 0 : random.Next(message.Count);
                    switch (random.Next(4))
                    {
                        case 0 when message.Count > 0:
                            message[at] ^= (byte)(1 << random.Next(8));
                            break;
                        case 1 when message.Count > 0:
                            message.RemoveRange(at, message.Count - at); // truncated
                            break;
                        case 2:
                            message.Insert(at, (byte)random.Next(256));
                            break;
                        default:
                            message.AddRange([0x0A, 0x02, 0xC3, 0x28]); // a string field that is not UTF-8
                            break;
                    }
                }

                return ("a mutated message", [.. message]);
        }
    }

    /// <summary>A message of <paramref name="type"/> with random values in some of its fields (nested messages to depth 3).</summary>
    static IMessage RandomMessage(Random random, MessageDescriptor type, int depth)
    {
        var message = type.Parser.ParseFrom(ByteString.Empty);
        foreach (var field in type.Fields.InDeclarationOrder())
        {
            if (random.Next(3) == 0 || field.IsMap || (field.FieldType == FieldType.Message && depth >= 3))
            {
                continue;
            }

            if (field.IsRepeated)
            {
                var list = (System.Collections.IList)field.Accessor.GetValue(message);
                for (var n = random.Next(4); n > 0; n--)
                {
                    if (Value(random, field, depth) is { } item)
                    {
                        list.Add(item);
                    }
                }
            }
            else if (Value(random, field, depth) is { } value)
            {
                field.Accessor.SetValue(message, value);
            }
        }

        return message;
    }

    static object? Value(Random random, FieldDescriptor field, int depth) => field.FieldType switch
    {
        FieldType.String => Text(random),
        FieldType.Bytes => ByteString.CopyFrom(Encoding.UTF8.GetBytes(Text(random))),
        FieldType.Bool => random.Next(2) == 0,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => Number(random),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => (long)Number(random) * (random.Next(2) == 0 ? 1 : 1_000_003),
        FieldType.UInt32 or FieldType.Fixed32 => (uint)random.Next(),
        FieldType.UInt64 or FieldType.Fixed64 => (ulong)random.NextInt64(),
        FieldType.Double => random.NextDouble() * 1e6,
        FieldType.Float => (float)random.NextDouble(),
        FieldType.Enum => Enum.ToObject(field.EnumType.ClrType, random.Next(3) == 0 ? random.Next(-3, 200) : field.EnumType.Values[random.Next(field.EnumType.Values.Count)].Number),
        FieldType.Message => RandomMessage(random, field.MessageType, depth + 1),
        _ => null,
    };

    static int Number(Random random) => random.Next(6) switch
    {
        0 => 0,
        1 => -random.Next(1, 100),
        2 => int.MaxValue - random.Next(3),
        3 => int.MinValue + random.Next(3),
        _ => random.Next(1, 3000),
    };

    /// <summary>Text that is never a bare upper-case ISO code: lower case, digits, punctuation, other scripts, control characters.</summary>
    static string Text(Random random)
    {
        const string Alphabet = "abcxyz019-_./:%{}\"\\'<>;* ёжЖ中\u0000\u001f\u202e🙂";
        var length = random.Next(6) == 0 ? random.Next(100, 5000) : random.Next(0, 24);
        var text = new StringBuilder(length + 1);
        for (var i = 0; i < length; i++)
        {
            var c = Alphabet[random.Next(Alphabet.Length)];
            if (char.IsHighSurrogate(c) || char.IsLowSurrogate(c))
            {
                c = 'q';
            }

            text.Append(c);
        }

        return random.Next(4) == 0 ? "bodies/" + text : text.ToString();
    }

    static string Route(Random random, string template) =>
        Variable().Replace(template, m =>
        {
            var pattern = m.Groups[3].Success ? m.Groups[3].Value : "*";
            return pattern.Replace("**", "*", StringComparison.Ordinal).Replace("*", Uri.EscapeDataString(random.Next(3) == 0 ? "csc" : Text(random)).Replace("%2F", "x", StringComparison.Ordinal), StringComparison.Ordinal);
        });

    static string Query(Random random, MessageDescriptor type)
    {
        var fields = type.Fields.InDeclarationOrder();
        var parts = new List<string>();
        for (var n = random.Next(4); n > 0; n--)
        {
            var key = random.Next(5) == 0 ? Text(random) : fields.Count == 0 ? "x" : fields[random.Next(fields.Count)].JsonName;
            var value = random.Next(3) switch { 0 => Number(random).ToString(System.Globalization.CultureInfo.InvariantCulture), 1 => "2013-02-30", _ => Text(random) };
            parts.Add(Uri.EscapeDataString(key) + "=" + Uri.EscapeDataString(value));
        }

        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    /// <summary>A JSON body: an object with the request's field names and values of any type, or broken JSON.</summary>
    static string Json(Random random, MessageDescriptor type)
    {
        var fields = type.Fields.InDeclarationOrder();
        var json = new StringBuilder("{");
        for (var n = random.Next(5); n > 0; n--)
        {
            var key = random.Next(5) == 0 || fields.Count == 0 ? Text(random) : fields[random.Next(fields.Count)].JsonName;
            json.Append(System.Text.Json.JsonSerializer.Serialize(key)).Append(':').Append(JsonValue(random, 0)).Append(n > 1 ? "," : "");
        }

        json.Append('}');
        var text = json.ToString();
        return random.Next(6) switch
        {
            0 => text[..random.Next(text.Length)], // truncated
            1 => text.Replace("\"", random.Next(2) == 0 ? "'" : "\"\\ud800", StringComparison.Ordinal),
            2 => JsonValue(random, 0),
            _ => text,
        };
    }

    static string JsonValue(Random random, int depth) => random.Next(depth > 2 ? 5 : 8) switch
    {
        0 => System.Text.Json.JsonSerializer.Serialize(Text(random)),
        1 => Number(random).ToString(System.Globalization.CultureInfo.InvariantCulture),
        2 => random.Next(2) == 0 ? "true" : "null",
        3 => "1e400",
        4 => "\"2013-02-30\"",
        5 => "[" + string.Join(',', Enumerable.Range(0, random.Next(4)).Select(_ => JsonValue(random, depth + 1))) + "]",
        _ => "{\"year\":" + Number(random).ToString(System.Globalization.CultureInfo.InvariantCulture) + ",\"x\":" + JsonValue(random, depth + 1) + "}",
    };

    static string Shorten(string? text) => text is null ? "-" : text.Length > 200 ? text[..200] + "..." : text;

    [GeneratedRegex(@"\{(\w+(\.\w+)*)(?:=([^}]*))?\}")]
    private static partial Regex Variable();

    [GeneratedRegex(@"""code"":\s*(\d+)")]
    private static partial Regex JsonCode();
}
