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
        var operations = new OperationsService.OperationsServiceClient(suite.Operations.Channel);
        await suite.SixMembersAsync();

        // adopted and published in the reverse of their order in the world
        await suite.AdoptAsync("kordon-extend-2029", new DateOnly(2029, 6, 1), new DecisionPayload { ExtendOperation = new ExtendOperation { Name = "Kordon", NewEndDate = Date.From(new(2031, 12, 31)) } });
        await suite.AdoptAsync("kordon-2028", new DateOnly(2028, 1, 15), new DecisionPayload { AuthorizeOperation = new AuthorizeOperation { Name = "Kordon", Kind = OperationKind.AntiDrug, StartDate = Date.From(new(2028, 2, 1)), EndDate = Date.From(new(2030, 12, 31)) } });

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
