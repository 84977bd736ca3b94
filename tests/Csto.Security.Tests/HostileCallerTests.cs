using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Csto.Bodies.V1;
using Csto.EventLog.Security;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Testing;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Csto.Security.Tests;

/// <summary>A suite whose streams stall after 2 s and whose servers hold at most 4 streams each.</summary>
public sealed class StreamLimitedSuite : SecureSuite
{
    public const int MaxStreams = 4;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Operations:AutoClose"] = "false",
        ["Limits:MaxStreams"] = MaxStreams.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Limits:StalledStreamSeconds"] = "2",
        ["Limits:MaxReceiveMessageBytes"] = "65536",
    };
}

/// <summary>A suite that refuses an address after 5 failed authentications in a minute.</summary>
public sealed class AuthBrakeSuite : SecureSuite
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Operations:AutoClose"] = "false",
        ["Limits:MaxAuthFailures"] = "5",
        ["Limits:AuthFailureWindowSeconds"] = "60",
    };
}

/// <summary>Tests that time what a client does (a stream it stops reading for 2 s, then reads): alone, never beside the fuzz test.</summary>
[CollectionDefinition("timed", DisableParallelization = true)]
public sealed class TimedCollection;

/// <summary>
/// What a hostile or broken caller sends: bytes that are not a message, numbers an enum does not define, edited page tokens,
/// streams it never reads, bodies over the limit. Each gets a clear status naming what was wrong, nothing is appended,
/// and the server's memory does not follow the number of callers.
/// </summary>
[Collection("timed")]
public sealed class HostileCallerTests(StreamLimitedSuite suite) : IClassFixture<StreamLimitedSuite>
{
    static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    static Method<byte[], byte[]> Raw(Google.Protobuf.Reflection.MethodDescriptor method) =>
        new(MethodType.Unary, method.Service.FullName, method.Name, Bytes, Bytes);

    public static TheoryData<string, string> Malformed => new()
    {
        { "truncated", "a write request cut in the middle of a string" },
        { "invalid-utf8", "a string field holding bytes that are not UTF-8" },
        { "nested-groups", "60,000 nested groups" },
        { "wrong-wire-type", "a length-delimited field whose length runs past the end" },
    };

    static byte[] Body(string kind)
    {
        switch (kind)
        {
            case "truncated":
                var whole = new ConveneSessionRequest { Body = "bodies/csc", Place = "Moscow, the Kremlin" }.ToByteArray();
                return whole[..^5];
            case "invalid-utf8":
                return [0x0A, 0x03, 0xC3, 0x28, 0xFF]; // field 1 (body), 3 bytes: not UTF-8
            case "nested-groups":
                return [.. Enumerable.Repeat((byte)0x5B, 60_000)]; // start group of field 11, again and again (under the 64 KB limit)
            default:
                return [0x12, 0x7F, 0x41]; // field 2 says 127 bytes follow; one does
        }
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Bytes_that_are_not_a_request_message_are_invalid_argument_naming_the_body_and_append_nothing(string kind, string what)
    {
        var host = suite["bodies"];
        var before = SecureSuite.Head(host);
        var method = Raw(BodiesService.Descriptor.FindMethodByName("ConveneSession"));

        var ex = await Assert.ThrowsAsync<RpcException>(() => host.ChannelFor(Roles.Secretariat).AsyncUnaryCall(method, null, new CallOptions(), Body(kind)).ResponseAsync);

        Assert.True(ex.StatusCode == StatusCode.InvalidArgument, $"{what}: {ex.Status}");
        var status = ex.GetRpcStatus()!;
        Assert.Equal("body", status.GetDetail<BadRequest>()!.FieldViolations.Single().Field);
        Assert.Equal("MALFORMED_MESSAGE", status.GetDetail<ErrorInfo>()!.Reason);
        Assert.Contains("csto.bodies.v1.ConveneSessionRequest", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, SecureSuite.Head(host));
    }

    [Fact]
    public async Task An_enum_number_the_api_does_not_define_is_invalid_naming_the_field()
    {
        var client = new BodiesService.BodiesServiceClient(suite["bodies"].ChannelFor(Roles.Reader));

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.ListDraftsAsync(new ListDraftsRequest { Status = (DraftStatus)77 }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("status", ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations.Single().Field);
        Assert.Contains("77 is not a value of csto.bodies.v1.DraftStatus", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_token_edited_on_the_way_is_invalid_naming_page_token()
    {
        var log = new EventLogService.EventLogServiceClient(suite["bodies"].ChannelFor(Roles.Reader));
        var first = await log.ListEventsAsync(new ListEventsRequest { FromPosition = 1, PageSize = 2 });
        Assert.NotEmpty(first.NextPageToken);
        var token = first.NextPageToken;
        var edited = token[..3] + (token[3] == 'A' ? 'Q' : 'A') + token[4..];

        var ex = await Assert.ThrowsAsync<RpcException>(() => log.ListEventsAsync(new ListEventsRequest { FromPosition = 1, PageSize = 2, PageToken = edited }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("page_token", ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations.Single().Field);
        Assert.NotEmpty((await log.ListEventsAsync(new ListEventsRequest { FromPosition = 1, PageSize = 2, PageToken = token })).Records);
    }

    [Fact]
    public async Task A_server_holds_at_most_its_limit_of_streams_whoever_the_callers_are()
    {
        var host = suite["membership"];
        var limiter = host.Services.GetRequiredService<StreamLimiter>();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var calls = new List<AsyncServerStreamingCall<StreamEventsResponse>>();
        try
        {
            // one follow stream per subject: the per-caller limit never applies, the server's does
            for (var i = 0; i < StreamLimitedSuite.MaxStreams; i++)
            {
                var log = new EventLogService.EventLogServiceClient(host.ChannelWith(TestTokens.For(Roles.Reader, subject: $"caller-{i}")));
                var call = log.StreamEvents(new StreamEventsRequest { FromPosition = long.MaxValue - 1, Follow = true }, cancellationToken: cancel.Token);
                Assert.True(await call.ResponseStream.MoveNext(cancel.Token)); // caught up: the stream holds its slot
                calls.Add(call);
            }

            var another = new EventLogService.EventLogServiceClient(host.ChannelWith(TestTokens.For(Roles.Reader, subject: "caller-x")));
            using var refused = another.StreamEvents(new StreamEventsRequest { FromPosition = 1 }, cancellationToken: cancel.Token);
            var ex = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext(cancel.Token));

            Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
            Assert.Equal("TOO_MANY_STREAMS", ex.GetRpcStatus()!.GetDetail<ErrorInfo>()!.Reason);
            Assert.Equal(StreamLimitedSuite.MaxStreams, limiter.Open);
        }
        finally
        {
            calls.ForEach(c => c.Dispose());
        }

        await Eventually.UntilAsync(() => Task.FromResult(limiter.Open == 0), TimeSpan.FromSeconds(10), "the closed streams' slots");
    }

    [Fact]
    public async Task A_stream_its_client_stops_reading_is_ended_with_the_position_to_resume_from()
    {
        var host = suite["bodies"];
        var limiter = host.Services.GetRequiredService<StreamLimiter>();
        // more than the HTTP/2 windows and Kestrel's buffer hold: 300 sessions with 4,000-character places (about 1.2 MB)
        var bodies = new BodiesService.BodiesServiceClient(host.ChannelFor(Roles.Secretariat));
        for (var i = 0; i < 300; i++)
        {
            await bodies.ConveneSessionAsync(new ConveneSessionRequest
            {
                Body = "bodies/csc", Place = $"stall-{i}-" + new string('x', 4000), Date = Csto.Common.V1.Date.From(new DateOnly(2003, 1, 1).AddDays(i)), HostState = "RUS",
                RequestId = $"stall-{i}-{Guid.NewGuid():N}",
            });
        }

        var log = new EventLogService.EventLogServiceClient(host.ChannelWith(TestTokens.For(Roles.Reader, subject: "stalled")));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var call = log.StreamEvents(new StreamEventsRequest { FromPosition = 1, MaxBatchSize = 10 }, cancellationToken: cancel.Token);
        Assert.True(await call.ResponseStream.MoveNext(cancel.Token));
        await Eventually.UntilAsync(() => Task.FromResult(limiter.Open == 1), TimeSpan.FromSeconds(10), "the stream open on the server");

        // the client reads nothing for longer than Limits:StalledStreamSeconds (2 s), then reads what was sent before
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        long last = 0;
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(cancel.Token))
            {
                if (call.ResponseStream.Current.Events is { } batch)
                {
                    last = batch.Records[^1].Position;
                }
            }
        });

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        var info = ex.GetRpcStatus()!.GetDetail<ErrorInfo>()!;
        Assert.Equal("STREAM_STALLED", info.Reason);
        var resumeFrom = long.Parse(info.Metadata["resume_from"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(last + 1, resumeFrom);
        Assert.True(resumeFrom < SecureSuite.Head(host), $"stalled at {resumeFrom} of {SecureSuite.Head(host)}");
        await Eventually.UntilAsync(() => Task.FromResult(limiter.Open == 0), TimeSpan.FromSeconds(10), "the stalled stream's slot");
        Assert.Equal(0, limiter.Buffered); // what it held counts no more against Limits:StreamBufferBytes

        // resuming where the status says gives the rest of the log
        using var rest = log.StreamEvents(new StreamEventsRequest { FromPosition = resumeFrom }, cancellationToken: cancel.Token);
        var next = resumeFrom;
        while (await rest.ResponseStream.MoveNext(cancel.Token))
        {
            foreach (var record in rest.ResponseStream.Current.Events?.Records ?? [])
            {
                Assert.Equal(next++, record.Position);
            }
        }

        Assert.Equal(SecureSuite.Head(host) + 1, next);
    }

    [Fact]
    public void A_stream_reads_smaller_batches_when_the_streams_that_do_not_read_hold_most_of_the_buffer_budget()
    {
        var limiter = new StreamLimiter(new LimitsOptions { StreamBufferBytes = 1024 * 1024 });

        Assert.Equal(5000, limiter.Batch(5000, 100)); // 500 KB: half the budget
        limiter.Hold(900 * 1024);
        Assert.Equal(StreamLimiter.MinMessageBytes / 100, limiter.Batch(5000, 100)); // 62 KB left of half: the floor, 64 KB
        limiter.Release(900 * 1024);
        Assert.Equal(5000, limiter.Batch(5000, 100));
        Assert.Equal(1, limiter.Batch(5000, 10 * 1024 * 1024)); // one record larger than the budget still goes, alone
    }

    [Fact]
    public async Task An_http_json_body_over_the_limit_is_refused_before_it_is_read()
    {
        var host = suite["bodies"];
        var before = SecureSuite.Head(host);
        using var http = new HttpClient { BaseAddress = new Uri(host.Address) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/bodies/csc/sessions")
        {
            Content = new StringContent("{\"place\":\"" + new string('x', 200_000) + "\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(Roles.Secretariat));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var json = await response.Content.ReadAsStringAsync();
        Assert.Contains("REQUEST_TOO_LARGE", json, StringComparison.Ordinal);
        Assert.Contains("\"code\": 8", json, StringComparison.Ordinal);
        Assert.Equal(before, SecureSuite.Head(host));
    }
}

/// <summary>Guessing tokens is braked per remote address; callers with a token that verified are not slowed.</summary>
public sealed class AuthBrakeTests(AuthBrakeSuite suite) : IClassFixture<AuthBrakeSuite>
{
    [Fact]
    public async Task After_too_many_failed_authentications_an_address_is_refused_with_a_retry_after_and_good_callers_go_on()
    {
        var host = suite["membership"];
        var good = new MembershipService.MembershipServiceClient(host.ChannelFor(Roles.Reader));
        await good.ListMemberStatesAsync(new ListMemberStatesRequest()); // validated once: held by the service
        var forged = TokenIssuer.Issue(new SigningSettings("another-key-0123456789-0123456789-abcdef"), "guesser", Roles.Operator, null, TimeSpan.FromHours(1));
        var guesser = new MembershipService.MembershipServiceClient(host.ChannelWith(forged));

        var codes = new List<StatusCode>();
        for (var i = 0; i < 8; i++)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => guesser.ListMemberStatesAsync(new ListMemberStatesRequest()).ResponseAsync);
            codes.Add(ex.StatusCode);
            if (ex.StatusCode == StatusCode.ResourceExhausted)
            {
                var info = ex.GetRpcStatus()!.GetDetail<ErrorInfo>()!;
                Assert.Equal("TOO_MANY_AUTH_FAILURES", info.Reason);
                Assert.InRange(int.Parse(info.Metadata["retry_after_seconds"], System.Globalization.CultureInfo.InvariantCulture), 1, 60);
            }
        }

        Assert.Equal([.. Enumerable.Repeat(StatusCode.Unauthenticated, 5), .. Enumerable.Repeat(StatusCode.ResourceExhausted, 3)], codes);
        await good.ListMemberStatesAsync(new ListMemberStatesRequest()); // answers: the brake is for guessers only

        // HTTP/JSON from the same address: 429 with Retry-After
        using var http = new HttpClient { BaseAddress = new Uri(host.Address) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/members");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", forged);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("TOO_MANY_AUTH_FAILURES", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
