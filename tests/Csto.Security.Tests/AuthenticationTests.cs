using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Testing;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Csto.Security.Tests;

/// <summary>Tokens that are missing, expired, wrongly signed or for another audience are UNAUTHENTICATED; health and reflection need none.</summary>
public sealed class AuthenticationTests(SecureSuite suite) : IClassFixture<SecureSuite>
{
    public static TheoryData<string> Tokens() =>
    [
        "missing",
        "expired",
        "wrong-key",
        "wrong-audience",
        "wrong-issuer",
        "garbage",
    ];

    static string? Token(string kind) => kind switch
    {
        "missing" => null,
        "expired" => TokenIssuer.Issue(TestTokens.Signing, "late", Roles.Secretariat, null, TimeSpan.FromHours(1), DateTimeOffset.UtcNow.AddHours(-2)),
        "wrong-key" => TokenIssuer.Issue(TestTokens.Signing with { Key = SigningSettings.DevelopmentKey }, "forger", Roles.Secretariat, null, TimeSpan.FromHours(1)),
        "wrong-audience" => TokenIssuer.Issue(TestTokens.Signing with { Audience = "someone-else" }, "lost", Roles.Secretariat, null, TimeSpan.FromHours(1)),
        "wrong-issuer" => TokenIssuer.Issue(TestTokens.Signing with { Issuer = "elsewhere" }, "lost", Roles.Secretariat, null, TimeSpan.FromHours(1)),
        "garbage" => "not-a-jwt",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    static readonly Dictionary<string, string> Reasons = new(StringComparer.Ordinal)
    {
        ["missing"] = "TOKEN_MISSING",
        ["expired"] = "TOKEN_EXPIRED",
        ["wrong-key"] = "TOKEN_BAD_SIGNATURE",
        ["wrong-audience"] = "TOKEN_WRONG_AUDIENCE",
        ["wrong-issuer"] = "TOKEN_WRONG_ISSUER",
        ["garbage"] = "TOKEN_INVALID",
    };

    [Theory]
    [MemberData(nameof(Tokens))]
    public async Task A_bad_token_is_unauthenticated_for_writes_and_reads_and_appends_nothing(string kind)
    {
        var host = suite["membership"];
        var token = Token(kind);
        var channel = token is null ? host.Anonymous.CreateCallInvoker() : host.ChannelWith(token);
        var before = SecureSuite.Head(host);

        var write = await Assert.ThrowsAsync<RpcException>(() => new MembershipService.MembershipServiceClient(channel).RecordSignatureAsync(new() { State = "KAZ", EffectiveDate = new() { Year = 1992, Month = 5, Day = 15 } }).ResponseAsync);
        var read = await Assert.ThrowsAsync<RpcException>(() => new EventLogService.EventLogServiceClient(channel).GetLogInfoAsync(new GetLogInfoRequest()).ResponseAsync);
        // the replay's own endpoint (written from the stored bytes) sits behind the same check
        var replay = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = new EventLogService.EventLogServiceClient(channel).StreamEvents(new StreamEventsRequest { FromPosition = 1 });
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });

        Assert.Equal(StatusCode.Unauthenticated, write.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, read.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, replay.StatusCode);
        Assert.Equal(Reasons[kind], replay.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
        Assert.Equal(Reasons[kind], write.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
        Assert.Equal(before, SecureSuite.Head(host));
    }

    [Fact]
    public async Task A_token_validated_once_is_accepted_again_from_memory_and_a_bad_token_is_refused_on_every_call()
    {
        var host = suite["bodies"];
        var validated = host.Services.GetRequiredService<Csto.EventLog.Security.ValidatedTokens>();
        var good = TokenIssuer.Issue(TestTokens.Signing, "cached-reader", Roles.Reader, null, TimeSpan.FromHours(1));
        var forged = TokenIssuer.Issue(TestTokens.Signing with { Key = SigningSettings.DevelopmentKey }, "forger", Roles.Reader, null, TimeSpan.FromHours(1));
        var expired = Token("expired")!;

        for (var call = 0; call < 3; call++)
        {
            await new EventLogService.EventLogServiceClient(host.ChannelWith(good)).GetLogInfoAsync(new GetLogInfoRequest());
            Assert.True(validated.Holds(good));
            foreach (var bad in new[] { forged, expired })
            {
                var refused = await Assert.ThrowsAsync<RpcException>(() => new EventLogService.EventLogServiceClient(host.ChannelWith(bad)).GetLogInfoAsync(new GetLogInfoRequest()).ResponseAsync);
                Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
                Assert.False(validated.Holds(bad));
            }
        }

        // the same token, one character changed in its signature, is another token: validated, and refused
        var tampered = good[..^2] + (good[^2] == 'A' ? 'B' : 'A') + good[^1];
        var tamperedCall = await Assert.ThrowsAsync<RpcException>(() => new EventLogService.EventLogServiceClient(host.ChannelWith(tampered)).GetLogInfoAsync(new GetLogInfoRequest()).ResponseAsync);
        Assert.Equal("TOKEN_BAD_SIGNATURE", tamperedCall.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
    }

    [Theory]
    [InlineData("membership")]
    [InlineData("bodies")]
    [InlineData("operations")]
    public async Task Health_and_reflection_answer_without_a_token(string service)
    {
        var host = suite[service];
        var health = await new Health.HealthClient(host.Anonymous).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        using var call = new ServerReflection.ServerReflectionClient(host.Anonymous).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("csto.eventlog.v1.EventLogService", names);
    }

    [Fact]
    public async Task The_actor_of_an_appended_event_is_the_token_subject_role_and_state()
    {
        var host = suite["membership"];
        var token = TokenIssuer.Issue(TestTokens.Signing, "secretariat-clerk-7", Roles.Secretariat, null, TimeSpan.FromHours(1));
        var response = await new MembershipService.MembershipServiceClient(host.ChannelWith(token)).RecordSignatureAsync(new()
        {
            State = "TJK",
            EffectiveDate = new() { Year = 1992, Month = 5, Day = 15 },
            Cause = new() { TreatyAct = "Collective Security Treaty" },
            RequestId = "actor-test-" + Guid.NewGuid(),
        });
        Assert.NotEmpty(response.EventIds);

        var page = await new EventLogService.EventLogServiceClient(host.ChannelFor(Roles.Reader)).ListEventsAsync(new ListEventsRequest { FromPosition = 1, PageSize = 1000 });
        var appended = page.Records.Where(r => response.EventIds.Contains(r.EventId)).ToList();
        Assert.NotEmpty(appended);
        Assert.All(appended, r =>
        {
            Assert.Equal("secretariat-clerk-7", r.Metadata.Actor.Subject);
            Assert.Equal(Roles.Secretariat, r.Metadata.Actor.Role);
            Assert.Equal("", r.Metadata.Actor.State);
        });
    }

    [Fact]
    public async Task A_delegate_acting_for_its_own_state_is_recorded_with_that_state()
    {
        var host = suite["membership"];
        var secretariat = new MembershipService.MembershipServiceClient(host.ChannelFor(Roles.Secretariat));
        await secretariat.RecordSignatureAsync(new() { State = "KGZ", EffectiveDate = new() { Year = 1992, Month = 5, Day = 15 }, Cause = new() { TreatyAct = "Collective Security Treaty" }, RequestId = "sig-kgz" });
        await secretariat.RecordEntryIntoForceAsync(new() { State = "KGZ", EffectiveDate = new() { Year = 1994, Month = 4, Day = 20 }, Cause = new() { TreatyAct = "ratification" }, RequestId = "eif-kgz" });

        var token = TokenIssuer.Issue(TestTokens.Signing, "kgz-delegate", Roles.Delegate, "KGZ", TimeSpan.FromHours(1));
        var response = await new MembershipService.MembershipServiceClient(host.ChannelWith(token)).NotifyWithdrawalAsync(new()
        {
            State = "KGZ",
            EffectiveDate = new() { Year = 2020, Month = 1, Day = 10 },
            TakesEffectOn = new() { Year = 2020, Month = 7, Day = 10 },
            Cause = new() { Notice = "note verbale" },
            RequestId = "wd-kgz",
        });

        var page = await new EventLogService.EventLogServiceClient(host.ChannelFor(Roles.Reader)).ListEventsAsync(new ListEventsRequest { FromPosition = 1, PageSize = 1000 });
        var appended = page.Records.Where(r => response.EventIds.Contains(r.EventId)).ToList();
        Assert.NotEmpty(appended);
        Assert.All(appended, r => Assert.Equal(("kgz-delegate", Roles.Delegate, "KGZ"), (r.Metadata.Actor.Subject, r.Metadata.Actor.Role, r.Metadata.Actor.State)));
    }
}
