using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog.Roster;
using Csto.Membership.V1;
using Csto.Operations.V1;
using Csto.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Csto.IntegrationTests;

/// <summary>Over the real broker: the extension of an operation adopted (and delivered) before its authorization gives the operation of in-order delivery.</summary>
public sealed class ReversedDecisionsTests(RabbitMqFixture broker) : IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task An_extension_delivered_before_the_authorization_it_extends_still_extends_the_operation()
    {
        await using var suite = await ThreeServices.StartAsync(broker);
        var membership = new MembershipService.MembershipServiceClient(suite.Membership.Channel);
        var bodies = new BodiesService.BodiesServiceClient(suite.Bodies.Channel);
        var operations = new OperationsService.OperationsServiceClient(suite.Operations.Channel);
        var treaty = new Cause { TreatyAct = "Collective Security Treaty, Tashkent" };
        string[] states = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"];
        foreach (var state in states)
        {
            await membership.RecordSignatureAsync(new RecordSignatureRequest { State = state, EffectiveDate = Date.From(new(1992, 5, 15)), Cause = treaty });
            await membership.RecordEntryIntoForceAsync(new RecordEntryIntoForceRequest { State = state, EffectiveDate = Date.From(new(1994, 4, 20)), Cause = treaty });
        }

        var roster = suite.Bodies.Services.GetRequiredService<RosterQueries>();
        await Eventually.UntilAsync(async () => (await roster.LoadAsync(CancellationToken.None)).On(new(2028, 1, 1)).Count(s => s.Value == MemberStatus.Member) == 6,
            TimeSpan.FromSeconds(60), "six members in the bodies roster");

        async Task AdoptAsync(string id, DateOnly day, DecisionPayload payload)
        {
            await bodies.ConveneSessionAsync(new ConveneSessionRequest { Body = "bodies/csc", SessionId = id, Date = Date.From(day), Place = "Moscow", HostState = "RUS" });
            await bodies.TableDraftAsync(new TableDraftRequest { Session = "sessions/" + id, DraftId = id, Title = id, Payload = payload });
            foreach (var state in states)
            {
                await bodies.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/" + id, State = state, Position = Position.Support });
            }

            Assert.Equal(DraftStatus.Adopted, (await bodies.CloseDraftAsync(new CloseDraftRequest { Draft = "drafts/" + id, Action = CloseAction.Decide })).Draft.Status);
        }

        // adopted and published in the reverse of their order in the world
        await AdoptAsync("kordon-extend-2029", new DateOnly(2029, 6, 1), new DecisionPayload { ExtendOperation = new ExtendOperation { Name = "Kordon", NewEndDate = Date.From(new(2031, 12, 31)) } });
        await AdoptAsync("kordon-2028", new DateOnly(2028, 1, 15), new DecisionPayload { AuthorizeOperation = new AuthorizeOperation { Name = "Kordon", Kind = OperationKind.AntiDrug, StartDate = Date.From(new(2028, 2, 1)), EndDate = Date.From(new(2030, 12, 31)) } });

        Operation? kordon = null;
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                kordon = (await operations.GetOperationAsync(new GetOperationRequest { Name = "operations/kordon", AsOf = Date.From(new(2029, 1, 1)) })).Operation;
                return kordon.LaterDecisions.Count == 1;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "Kordon opened and extended in operations");

        Assert.Equal(Date.From(new(2031, 12, 31)), kordon!.EndDate);
        Assert.Equal("decisions/kordon-2028", kordon.Decision);
        Assert.Equal(["decisions/kordon-extend-2029"], kordon.LaterDecisions);
    }
}
