using Csto.Bodies;
using Csto.Membership;
using Csto.Operations;
using Xunit;

namespace Csto.Testing;

/// <summary>The three services in-process on real Kestrel, real SQLite files and a real broker, with the history loaded once through cstoctl.</summary>
public sealed class SuiteFixture : IAsyncLifetime
{
    readonly RabbitMqFixture _broker = new();
    readonly TempDir _dir = new();

    public ServiceHost Membership { get; private set; } = null!;

    public ServiceHost Bodies { get; private set; } = null!;

    public ServiceHost Operations { get; private set; } = null!;

    public string LoadOutput { get; private set; } = "";

    public string DataDir => _dir.Path;

    /// <summary>The AMQP URL of the suite's virtual host (what an outside consumer connects to).</summary>
    public string BrokerUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await _broker.InitializeAsync();
        var url = await _broker.NewVirtualHostUrlAsync();
        BrokerUrl = url;
        Membership = await ServiceHost.StartAsync("membership", url, _dir.Path, MembershipHost.Configure, MembershipHost.Map);
        Bodies = await ServiceHost.StartAsync("bodies", url, _dir.Path, BodiesHost.Configure, BodiesHost.Map);
        Operations = await ServiceHost.StartAsync("operations", url, _dir.Path, OperationsHost.Configure, OperationsHost.Map);
        var (code, output, error) = await CtlAsync("history", "load", "--no-progress");
        LoadOutput = output + error;
        Assert.True(code == 0, $"history load failed ({code}):\n{LoadOutput}");
        await SettleAsync();
    }

    /// <summary>Waits until the three logs stop growing and every relay has published its head (effects of effects included).</summary>
    async Task SettleAsync()
    {
        var hosts = new[] { Membership, Bodies, Operations };
        var last = "";
        var stable = 0;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (stable < 3 && DateTime.UtcNow < deadline)
        {
            var infos = await Task.WhenAll(hosts.Select(h => new Csto.EventLog.V1.EventLogService.EventLogServiceClient(h.Channel).GetLogInfoAsync(new Csto.EventLog.V1.GetLogInfoRequest()).ResponseAsync));
            var now = string.Join(',', infos.Select(i => $"{i.HeadPosition}/{i.Relay.Lag}"));
            stable = now == last && infos.All(i => i.Relay.Lag == 0) ? stable + 1 : 0;
            last = now;
            await Task.Delay(300);
        }
    }

    /// <summary>Runs cstoctl in-process against the three hosts.</summary>
    public async Task<(int Code, string Out, string Error)> CtlAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        // the loader signs a token per act with the hosts' key; every other command runs as an operator
        Environment.SetEnvironmentVariable("CSTO_SIGNING_KEY", TestTokens.Signing.Key);
        Environment.SetEnvironmentVariable("CSTO_TOKEN", null); // an operator's token in the shell must not leak into the test
        string[] token = args[0] == "history" ? [] : ["--token", TestTokens.For("operator")];
        string[] all = [.. args, .. token, "--membership-url", Membership.Address, "--bodies-url", Bodies.Address, "--operations-url", Operations.Address];
        var code = await Csto.Ctl.Cli.RunAsync(all, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public async Task DisposeAsync()
    {
        await Operations.DisposeAsync();
        await Bodies.DisposeAsync();
        await Membership.DisposeAsync();
        await _broker.DisposeAsync();
        _dir.Dispose();
    }
}
