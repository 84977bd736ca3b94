using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Csto.Testing;

namespace Csto.IntegrationTests;

/// <summary>
/// The HTTP/JSON face on the loaded suite, on the services' own ports (HTTP/2 without TLS, as curl --http2-prior-knowledge
/// calls it): the same tokens, roles and errors as gRPC, and an OpenAPI document per service.
/// </summary>
[Collection("suite")]
public sealed class HttpJsonTests(SuiteFixture suite)
{
    static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(ServiceHost host, HttpMethod method, string path, string? token, string? json = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(host.Address) };
        using var request = new HttpRequestMessage(method, path) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(text.StartsWith('{'), $"{method} {path}: {(int)response.StatusCode} without a JSON object: {text[..Math.Min(text.Length, 600)]}");
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    static JsonElement Detail(JsonElement status, string type) =>
        status.GetProperty("details").EnumerateArray().Single(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc." + type);

    [Fact]
    public async Task The_roster_on_a_date_is_a_get_with_the_date_in_the_query()
    {
        var (status, body) = await SendAsync(suite.Membership, HttpMethod.Get, "/v1/roster?as_of=2013-01-01", TestTokens.For("reader"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2013, body.GetProperty("asOf").GetProperty("year").GetInt32());
        var states = body.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("state").GetString()).ToList();
        Assert.Equal(["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"], states); // Uzbekistan suspended since 2012-12-19
        // the same date in the form transcoding binds natively
        var (_, same) = await SendAsync(suite.Membership, HttpMethod.Get, "/v1/roster?as_of.year=2013&as_of.month=1&as_of.day=1", TestTokens.For("reader"));
        Assert.Equal(body.GetRawText(), same.GetRawText());
    }

    [Fact]
    public async Task A_decision_and_its_positions_are_a_resource_path()
    {
        var (status, body) = await SendAsync(suite.Bodies, HttpMethod.Get, "/v1/decisions/kazakhstan-2022", TestTokens.For("reader"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("decisions/kazakhstan-2022", body.GetProperty("decision").GetProperty("name").GetString());
        Assert.Contains(body.GetProperty("decision").GetProperty("positions").EnumerateArray(), p => p.GetProperty("state").GetString() == "KAZ");
    }

    [Fact]
    public async Task Without_a_token_the_answer_is_401_with_the_status_and_its_reason()
    {
        var (status, body) = await SendAsync(suite.Membership, HttpMethod.Get, "/v1/roster", token: null);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(16, body.GetProperty("code").GetInt32());
        Assert.Equal("TOKEN_MISSING", Detail(body, "ErrorInfo").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_role_not_allowed_to_write_is_403_before_anything_is_validated()
    {
        var (status, body) = await SendAsync(suite.Membership, HttpMethod.Post, "/v1/members/KAZ:suspend", TestTokens.For("reader"), "{}");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("ROLE_NOT_ALLOWED", Detail(body, "ErrorInfo").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_write_refused_by_a_rule_is_400_with_the_rule_and_bad_input_names_the_field()
    {
        var (status, body) = await SendAsync(suite.Membership, HttpMethod.Post, "/v1/members/KAZ:recordSignature", TestTokens.For("secretariat"),
            """{"effectiveDate": {"year": 2020, "month": 1, "day": 1}, "cause": {"treatyAct": "a signature after 1994"}, "requestId": "http-json-signature"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body.GetProperty("code").GetInt32() == 9, body.GetRawText()); // FAILED_PRECONDITION
        Assert.Equal("SIGNATURE_AFTER_ENTRY_INTO_FORCE", Detail(body, "ErrorInfo").GetProperty("reason").GetString());

        var (badStatus, bad) = await SendAsync(suite.Membership, HttpMethod.Get, "/v1/members/KAS", TestTokens.For("reader"));
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Equal("state", Detail(bad, "BadRequest").GetProperty("fieldViolations")[0].GetProperty("field").GetString());
        Assert.Equal("STATE_CODE_NOT_ISO_3166", Detail(bad, "ErrorInfo").GetProperty("reason").GetString());
    }

    public static TheoryData<string, string, string?, string> BadRequests => new()
    {
        // path, JSON body (null: a GET), the field the BadRequest must name
        { "/v1/roster?as_of=yesterday", "", null, "as_of" },
        { "/v1/roster?as_of.year=two-thousand", "", null, "as_of.year" },
        { "/v1/roster?color=blue", "", null, "color" },
        { "/v1/members/KAZ:recordSignature", "POST", "{\"effectiveDate\": {\"year\": 2020, \"month\": 1, \"day\": 1}, \"colour\": \"blue\"}", "colour" },
        { "/v1/members/KAZ:recordSignature", "POST", "{\"effectiveDate\": \"2020-01-01\"}", "effectiveDate" },
        { "/v1/members/KAZ:recordSignature", "POST", "{\"effectiveDate\": {\"year\": \"twenty\"}}", "effectiveDate.year" },
        { "/v1/members/KAZ:recordSignature", "POST", "{\"requestId\": 42}", "requestId" },
        { "/v1/members/KAZ:recordSignature", "POST", "{\"effectiveDate\": {\"year\": 2020", "body" },
        { "/v1/members/KAZ:recordSignature", "POST", "", "body" },
        { "/v1/members/KAZ:recordSignature", "POST", "[1, 2]", "body" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Input_that_is_not_the_request_message_is_400_naming_the_field_and_appends_nothing(string path, string method, string? json, string field)
    {
        var head = (await new Csto.EventLog.V1.EventLogService.EventLogServiceClient(suite.Membership.ChannelFor("reader")).GetLogInfoAsync(new())).HeadPosition;

        var (status, body) = await SendAsync(suite.Membership, method == "POST" ? HttpMethod.Post : HttpMethod.Get, path, TestTokens.For("secretariat"), json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body.GetProperty("code").GetInt32() == 3, body.GetRawText()); // INVALID_ARGUMENT
        Assert.Equal(field, Detail(body, "BadRequest").GetProperty("fieldViolations")[0].GetProperty("field").GetString());
        Assert.Equal(head, (await new Csto.EventLog.V1.EventLogService.EventLogServiceClient(suite.Membership.ChannelFor("reader")).GetLogInfoAsync(new())).HeadPosition);
    }

    [Fact]
    public async Task An_unknown_route_is_404_and_a_wrong_method_405_each_with_a_status_body()
    {
        var (missing, missingBody) = await SendAsync(suite.Bodies, HttpMethod.Get, "/v1/no-such-collection", TestTokens.For("reader"));
        var (wrong, wrongBody) = await SendAsync(suite.Membership, HttpMethod.Put, "/v1/members/KAZ:recordSignature", TestTokens.For("secretariat"), "{}");

        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal(5, missingBody.GetProperty("code").GetInt32());
        Assert.Equal("NOT_FOUND", Detail(missingBody, "ErrorInfo").GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrong);
        Assert.Equal("METHOD_NOT_ALLOWED", Detail(wrongBody, "ErrorInfo").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task An_unknown_resource_is_404()
    {
        var (status, body) = await SendAsync(suite.Bodies, HttpMethod.Get, "/v1/decisions/no-such-decision", TestTokens.For("reader"));

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("NOT_FOUND", Detail(body, "ErrorInfo").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Every_service_serves_its_openapi_document_without_a_token()
    {
        foreach (var (host, path) in new[] { (suite.Membership, "/v1/roster"), (suite.Bodies, "/v1/decisions/{name}"), (suite.Operations, "/v1/operations/{operation}/totals") })
        {
            var (status, body) = await SendAsync(host, HttpMethod.Get, "/openapi/v1.json", token: null);
            Assert.Equal(HttpStatusCode.OK, status);
            var paths = body.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
            Assert.Contains(path, paths);
            Assert.Contains("/v1/log", paths);
        }
    }

    [Fact]
    public async Task The_log_streams_as_json_the_same_records_that_grpc_streams_from_the_encoded_batches()
    {
        var grpc = new List<Csto.EventLog.V1.EventRecord>();
        using (var call = new Csto.EventLog.V1.EventLogService.EventLogServiceClient(suite.Membership.Channel)
                   .StreamEvents(new Csto.EventLog.V1.StreamEventsRequest { FromPosition = 1, ToPosition = 12, MaxBatchSize = 5 }))
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                grpc.AddRange(call.ResponseStream.Current.Events?.Records ?? []);
            }
        }

        using var http = new HttpClient { BaseAddress = new Uri(suite.Membership.Address) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/log/events:stream?from_position=1&to_position=12&max_batch_size=5")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For("reader"));
        using var response = await http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, Encoding.UTF8.GetString(bytes));
        var json = new List<JsonElement>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            using var message = JsonDocument.ParseValue(ref reader);
            json.AddRange(message.RootElement.ValueKind == JsonValueKind.Array ? message.RootElement.EnumerateArray().Select(e => e.Clone()) : [message.RootElement.Clone()]);
        }

        var records = json.SelectMany(m => m.TryGetProperty("events", out var events) ? events.GetProperty("records").EnumerateArray() : []).ToList();
        Assert.Equal(Enumerable.Range(1, 12).Select(p => (long)p), grpc.Select(r => r.Position));
        Assert.Equal(3, json.Count); // 5 + 5 + 2
        Assert.Equal(grpc.Select(r => r.EventId), records.Select(r => r.GetProperty("eventId").GetString()));
        Assert.Equal(grpc.Select(r => r.Metadata.CorrelationId), records.Select(r => r.GetProperty("metadata").GetProperty("correlationId").GetString()));
        Assert.Equal(grpc.Select(r => r.Type), records.Select(r => r.GetProperty("type").GetString()));
        Assert.All(grpc, r => Assert.Equal("membership", r.SourceService));
    }
}
