using Csto.EventLog;
using Csto.EventLog.Hosting;
using Csto.EventLog.V1;
using Csto.Testing;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Csto.EventLog.Tests;

[Collection("broker")]
public sealed class ReplayApiTests(RabbitMqFixture broker) : IAsyncLifetime
{
    readonly TempDir _dir = new();
    ServiceHost _host = null!;
    IEventStore _store = null!;
    EventLogService.EventLogServiceClient _client = null!;

    public async Task InitializeAsync()
    {
        _host = await Events.StartLogHostAsync("membership", await broker.NewVirtualHostUrlAsync(), _dir.Path);
        _store = _host.Services.GetRequiredService<IEventStore>();
        _client = new EventLogService.EventLogServiceClient(_host.Channel);
        // 1..100: "other-*" dates; 101..103: member status changes
        for (var i = 0; i < 100; i++)
        {
            await _store.AppendAsync(new AppendRequest($"other-{i % 5}", ExpectedVersion.Any, [Events.Any(i)]));
        }

        foreach (var state in new[] { "KAZ", "RUS", "UZB" })
        {
            await _store.AppendAsync(new AppendRequest("member-" + state, ExpectedVersion.Any, [Events.Status(state, Membership.V1.MemberStatus.Member, 1)]));
        }
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    async Task<List<StreamEventsResponse>> ReadAsync(StreamEventsRequest request)
    {
        using var call = _client.StreamEvents(request);
        var list = new List<StreamEventsResponse>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            list.Add(message);
        }

        return list;
    }

    [Fact]
    public async Task A_read_from_and_to_a_position_returns_exactly_that_range_then_ends()
    {
        var messages = await ReadAsync(new StreamEventsRequest { FromPosition = 10, ToPosition = 20, MaxBatchSize = 4 });

        var records = messages.Where(m => m.ItemCase == StreamEventsResponse.ItemOneofCase.Events).SelectMany(m => m.Events.Records).ToList();
        Assert.Equal(Enumerable.Range(10, 11).Select(i => (long)i), records.Select(r => r.Position));
        Assert.All(messages, m => Assert.True(m.Events.Records.Count <= 4));
    }

    [Fact]
    public async Task A_read_to_the_head_ends_with_a_caught_up_marker()
    {
        var messages = await ReadAsync(new StreamEventsRequest { FromPosition = 1 });

        Assert.Equal(103, messages.Where(m => m.Events is not null).Sum(m => m.Events.Records.Count));
        Assert.Equal(103, messages[^1].CaughtUp.HeadPosition);
    }

    [Fact]
    public async Task Prefix_and_type_filters_select_records_and_checkpoints_report_progress_while_nothing_matches()
    {
        var byPrefix = await ReadAsync(new StreamEventsRequest { FromPosition = 1, Filter = new EventFilter { StreamIdPrefix = "member-" } });
        var byType = await ReadAsync(new StreamEventsRequest { FromPosition = 1, Filter = new EventFilter { EventTypes = { "csto.membership.v1.MemberStatusChanged" } } });
        var nothing = await ReadAsync(new StreamEventsRequest { FromPosition = 1, ToPosition = 100, Filter = new EventFilter { StreamIdPrefix = "member-" } });

        Assert.Equal(["member-KAZ", "member-RUS", "member-UZB"], byPrefix.Where(m => m.Events is not null).SelectMany(m => m.Events.Records).Select(r => r.StreamId));
        Assert.Equal([101L, 102L, 103L], byType.Where(m => m.Events is not null).SelectMany(m => m.Events.Records).Select(r => r.Position));
        Assert.Contains(nothing, m => m.Checkpoint?.Position == 100);
        Assert.DoesNotContain(nothing, m => m.Events is not null);
    }

    [Fact]
    public async Task Follow_mode_sends_records_appended_after_catching_up()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = _client.StreamEvents(new StreamEventsRequest { FromPosition = 100, Follow = true }, cancellationToken: cts.Token);
        var stream = call.ResponseStream;
        var seen = new List<long>();
        var caughtUp = false;
        while (await stream.MoveNext(cts.Token))
        {
            var m = stream.Current;
            if (m.CaughtUp is not null)
            {
                caughtUp = true;
                await _store.AppendAsync(new AppendRequest("member-ARM", ExpectedVersion.Any, [Events.Status("ARM", Membership.V1.MemberStatus.Frozen, 1)]));
            }

            seen.AddRange(m.Events?.Records.Select(r => r.Position) ?? []);
            if (seen.Contains(104))
            {
                break;
            }
        }

        Assert.True(caughtUp);
        Assert.Equal([100L, 101L, 102L, 103L, 104L], seen);
        cts.Cancel();
    }

    [Fact]
    public async Task ListEvents_pages_through_the_range_with_page_tokens()
    {
        var positions = new List<long>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await _client.ListEventsAsync(new ListEventsRequest { FromPosition = 1, PageSize = 30, PageToken = token, Filter = new EventFilter { StreamIdPrefix = "other-" } });
            positions.AddRange(page.Records.Select(r => r.Position));
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);

        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), positions);
        Assert.Equal(4, pages);
    }

    [Fact]
    public async Task Bad_requests_are_invalid_arguments_that_name_the_field()
    {
        var negative = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(new StreamEventsRequest { FromPosition = -1 }));
        var backwards = await Assert.ThrowsAsync<RpcException>(() => _client.ListEventsAsync(new ListEventsRequest { FromPosition = 10, ToPosition = 5 }).ResponseAsync);
        var forged = await Assert.ThrowsAsync<RpcException>(() => _client.ListEventsAsync(new ListEventsRequest { PageToken = "bm90IGEgdG9rZW4=" }).ResponseAsync);
        var changed = await _client.ListEventsAsync(new ListEventsRequest { PageSize = 10 });
        var mismatch = await Assert.ThrowsAsync<RpcException>(() => _client.ListEventsAsync(new ListEventsRequest { PageToken = changed.NextPageToken, Filter = new EventFilter { StreamIdPrefix = "member-" } }).ResponseAsync);

        Assert.All(new[] { negative, backwards, forged, mismatch }, e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.Contains("from_position", negative.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("to_position", backwards.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("page_token", forged.Status.Detail, StringComparison.Ordinal);
        var detail = Grpc.Core.RpcExceptionExtensions.GetRpcStatus(negative)!.GetDetail<Google.Rpc.BadRequest>();
        Assert.Equal("from_position", detail.FieldViolations.Single().Field);
    }

    [Fact]
    public async Task GetLogInfo_reports_head_count_relay_and_projections()
    {
        await Eventually.UntilAsync(async () => (await _client.GetLogInfoAsync(new GetLogInfoRequest())).Relay.Checkpoint == 103, TimeSpan.FromSeconds(30), "relay at the head");
        var info = await _client.GetLogInfoAsync(new GetLogInfoRequest());

        Assert.Equal("membership", info.Service);
        Assert.Equal(103, info.HeadPosition);
        Assert.Equal(103, info.EventCount);
        Assert.Equal(0, info.Relay.Lag);
        Assert.True(info.Relay.Running);
        Assert.Contains(info.Projections, p => p.Name == "streams");
    }

    [Fact]
    public async Task A_grpc_replay_is_written_from_the_encoded_batches_and_carries_every_record_as_the_store_reads_it()
    {
        using var dir = new TempDir();
        var served = new System.Collections.Concurrent.ConcurrentQueue<Type?>();
        await using var host = await ServiceHost.StartAsync("membership", await broker.NewVirtualHostUrlAsync(), dir.Path, b => b.AddEventLog("membership"), app =>
        {
            // routing ran before this: which endpoint answers each gRPC call
            app.Use(async (context, next) =>
            {
                if (context.Request.Path.Value?.EndsWith("/StreamEvents", StringComparison.Ordinal) == true)
                {
                    served.Enqueue(context.GetEndpoint()?.Metadata.GetMetadata<Grpc.AspNetCore.Server.GrpcMethodMetadata>()?.ServiceType);
                }

                await next();
            });
            app.MapEventLog();
        });
        var store = host.Services.GetRequiredService<IEventStore>();
        for (var i = 0; i < 1200; i++)
        {
            await store.AppendAsync(new AppendRequest($"member-{i % 7}", ExpectedVersion.Any, [Events.Status("KAZ", Membership.V1.MemberStatus.Member, i + 1)]));
        }

        var streamed = new List<EventRecord>();
        var kinds = new List<StreamEventsResponse.ItemOneofCase>();
        using (var call = new EventLogService.EventLogServiceClient(host.Channel).StreamEvents(new StreamEventsRequest { FromPosition = 1, MaxBatchSize = 500 }))
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync())
            {
                kinds.Add(message.ItemCase);
                streamed.AddRange(message.Events?.Records ?? []);
            }
        }

        Assert.Equal([typeof(Csto.EventLog.Api.EncodedStreamEventsService)], served);
        Assert.Equal((await store.ReadAllAsync(1, long.MaxValue, ReadFilter.All, 5000)).Records, streamed); // metadata and all
        Assert.Equal([StreamEventsResponse.ItemOneofCase.Events, StreamEventsResponse.ItemOneofCase.Events, StreamEventsResponse.ItemOneofCase.Events, StreamEventsResponse.ItemOneofCase.CaughtUp], kinds);
    }
}
