using Csto.Bodies.V1;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Testing;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit;

namespace Csto.Security.Tests;

/// <summary>The suite with small limits, so that the tests stay small.</summary>
public sealed class LimitedSuite : SecureSuite
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Operations:AutoClose"] = "false",
        ["Limits:MaxReceiveMessageBytes"] = "65536",
        ["Limits:MaxStringLength"] = "200",
        ["Limits:MaxRepeatedCount"] = "20",
        ["Limits:MaxPageSize"] = "7",
        ["Limits:MaxFollowStreamsPerCaller"] = "2",
    };
}

/// <summary>Oversize messages, fields and pages, and too many follow streams: answered with a status, and the service keeps serving.</summary>
public sealed class LimitsTests(LimitedSuite suite) : IClassFixture<LimitedSuite>
{
    [Fact]
    public async Task An_oversize_message_is_resource_exhausted_and_the_service_keeps_serving()
    {
        var host = suite["bodies"];
        var before = SecureSuite.Head(host);
        var ex = await Assert.ThrowsAsync<RpcException>(() => new BodiesService.BodiesServiceClient(host.ChannelFor(Roles.Secretariat))
            .ConveneSessionAsync(new() { Body = "bodies/csc", Place = new string('x', 100_000) }).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal(before, SecureSuite.Head(host));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await new Health.HealthClient(host.Anonymous).CheckAsync(new HealthCheckRequest())).Status);
        Assert.NotEmpty((await new BodiesService.BodiesServiceClient(host.ChannelFor(Roles.Reader)).ListBodiesAsync(new ListBodiesRequest())).Bodies);
    }

    [Theory]
    [InlineData("place", 201, 0)]
    [InlineData("agenda", 0, 21)]
    [InlineData("agenda[3]", 0, 5)]
    public async Task A_too_long_text_or_too_many_items_is_invalid_naming_the_field(string field, int placeLength, int agendaItems)
    {
        var host = suite["bodies"];
        var request = new ConveneSessionRequest { Body = "bodies/csc", Place = new string('p', placeLength), Date = new() { Year = 2000, Month = 1, Day = 1 } };
        for (var i = 0; i < agendaItems; i++)
        {
            request.Agenda.Add(field == "agenda[3]" && i == 3 ? new string('a', 201) : "item " + i);
        }

        var before = SecureSuite.Head(host);
        var ex = await Assert.ThrowsAsync<RpcException>(() => new BodiesService.BodiesServiceClient(host.ChannelFor(Roles.Secretariat)).ConveneSessionAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(field, ex.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.Single().Field);
        Assert.Equal(before, SecureSuite.Head(host));
    }

    [Fact]
    public async Task A_nested_text_field_is_named_by_its_path()
    {
        var host = suite["membership"];
        var ex = await Assert.ThrowsAsync<RpcException>(() => new MembershipService.MembershipServiceClient(host.ChannelFor(Roles.Secretariat))
            .RecordSignatureAsync(new() { State = "KAZ", Cause = new() { TreatyAct = new string('n', 201) } }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("cause.treaty_act", ex.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.Single().Field);
    }

    [Fact]
    public async Task A_negative_page_size_is_invalid_and_a_large_one_is_coerced_down()
    {
        var host = suite["bodies"];
        var log = new EventLogService.EventLogServiceClient(host.ChannelFor(Roles.Reader));
        var ex = await Assert.ThrowsAsync<RpcException>(() => log.ListEventsAsync(new ListEventsRequest { FromPosition = 1, PageSize = -1 }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("page_size", ex.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.Single().Field);

        Assert.True(SecureSuite.Head(host) > 7, "the bodies reference data is more than one page");
        var page = await log.ListEventsAsync(new ListEventsRequest { FromPosition = 1, PageSize = 1_000_000 });
        Assert.Equal(7, page.Records.Count);
        Assert.NotEmpty(page.NextPageToken);
    }

    [Fact]
    public async Task A_caller_may_follow_only_so_many_streams_at_once()
    {
        var host = suite["membership"];
        var token = TokenIssuer.Issue(TestTokens.Signing, "follower", Roles.Reader, null, TimeSpan.FromHours(1));
        var log = new EventLogService.EventLogServiceClient(host.ChannelWith(token));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        async Task<AsyncServerStreamingCall<StreamEventsResponse>> FollowAsync()
        {
            var call = log.StreamEvents(new StreamEventsRequest { FromPosition = 1, Follow = true }, cancellationToken: cancel.Token);
            Assert.True(await call.ResponseStream.MoveNext(cancel.Token)); // caught up: the stream holds its slot
            return call;
        }

        var first = await FollowAsync();
        using var second = await FollowAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(FollowAsync);
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);

        // another caller is not affected, and a closed stream gives its slot back
        using var other = new EventLogService.EventLogServiceClient(host.ChannelFor(Roles.Operator)).StreamEvents(new StreamEventsRequest { FromPosition = 1, Follow = true }, cancellationToken: cancel.Token);
        Assert.True(await other.ResponseStream.MoveNext(cancel.Token));
        first.Dispose();
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                using var again = await FollowAsync();
                return true;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10), "the closed stream's slot");
    }
}
