using System.Diagnostics;
using Csto.Testing;
using Xunit.Abstractions;

namespace Csto.IntegrationTests;

/// <summary>
/// The client examples of tests/clients run against the loaded suite as outside programs, from protos/ alone: an API
/// change that breaks an outside client breaks the build. CI installs what they need (.ci/run: python3-grpcio,
/// python3-protobuf, npm ci).
/// </summary>
[Collection("suite")]
public sealed class ClientExamplesTests(SuiteFixture suite, ITestOutputHelper output)
{
    static string HostPort(ServiceHost host) => new Uri(host.Address).Authority;

    Dictionary<string, string> Environment() => new()
    {
        ["CSTO_MEMBERSHIP"] = HostPort(suite.Membership),
        ["CSTO_BODIES"] = HostPort(suite.Bodies),
        ["CSTO_TOKEN"] = TestTokens.For("reader"),
        ["CSTO_AS_OF"] = "2013-01-01",
        ["CSTO_DECISION"] = "decisions/kazakhstan-2022",
    };

    async Task<string> RunAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot.Path };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        output.WriteLine(await stdout);
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
        return await stdout;
    }

    /// <summary>The messages of protos/ as a descriptor set, built with the protoc of Grpc.Tools (the one that compiles them for .NET).</summary>
    async Task<string> DescriptorSetAsync()
    {
        var packages = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var protoc = Directory.GetDirectories(Path.Combine(packages, "grpc.tools")).Order(StringComparer.Ordinal).Select(d => Path.Combine(d, "tools", "linux_x64", "protoc")).Last(File.Exists);
        var protos = Path.Combine(RepoRoot.Path, "protos");
        var output = Path.Combine(Path.GetTempPath(), $"csto-{Guid.NewGuid():N}.binpb");
        string[] args = ["-I", protos, "-I", Path.Combine(Path.GetDirectoryName(protoc)!, "..", "..", "build", "native", "include"), "--include_imports", "--descriptor_set_out=" + output];
        await RunAsync(protoc, [.. args, .. Directory.EnumerateFiles(protos, "*.proto", SearchOption.AllDirectories)], new Dictionary<string, string>());
        return output;
    }

    static void AssertCommonOutput(string text)
    {
        Assert.Contains("roster on 2013-01-01: ARM (member), BLR (member), KAZ (member), KGZ (member), RUS (member), TJK (member), UZB (suspended)", text);
        Assert.Contains("decisions/kazakhstan-2022: ", text);
        Assert.Contains("  KAZ: support", text);
        // the message as the service wrote it: nothing percent-encoded
        Assert.Contains("error INVALID_ARGUMENT: state: 'KAS' is not an officially assigned ISO 3166-1 alpha-3 code", text);
        Assert.Contains("STATE_CODE_NOT_ISO_3166", text);
    }

    [Fact]
    public async Task The_python_example_reads_the_roster_follows_a_decision_and_decodes_an_error()
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; // Debian's, where python3-grpcio installs
        var descriptors = await DescriptorSetAsync();
        try
        {
            var text = await RunAsync(python, ["tests/clients/python/client.py"], new Dictionary<string, string>(Environment()) { ["CSTO_DESCRIPTORS"] = descriptors });
            AssertCommonOutput(text);
            Assert.Contains("google.rpc.BadRequest: {\"field_violations\": [{\"field\": \"state\"", text);
        }
        finally
        {
            File.Delete(descriptors);
        }
    }

    /// <summary>The README's curl lines of the HTTP/JSON face, on this suite's ports and tokens: each answers JSON.</summary>
    [Fact]
    public async Task The_readme_curl_examples_answer_json()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepoRoot.Path, "README.md"));
        var section = readme[readme.IndexOf("**HTTP/JSON**", StringComparison.Ordinal)..readme.IndexOf("**AMQP**", StringComparison.Ordinal)];
        var commands = section.Replace("\\\n", "", StringComparison.Ordinal).Split('\n').Where(l => l.StartsWith("curl ", StringComparison.Ordinal)).ToList();
        Assert.True(commands.Count >= 5, "the README's HTTP/JSON section lost its curl examples");
        foreach (var command in commands)
        {
            var local = command.Replace("127.0.0.1:5101", HostPort(suite.Membership), StringComparison.Ordinal)
                .Replace("127.0.0.1:5102", HostPort(suite.Bodies), StringComparison.Ordinal)
                .Replace("127.0.0.1:5103", HostPort(suite.Operations), StringComparison.Ordinal);
            var text = await RunAsync("bash", ["-c", local], new Dictionary<string, string>
            {
                ["CSTO_TOKEN"] = TestTokens.For("reader"), ["SECRETARIAT_TOKEN"] = TestTokens.For("secretariat"),
            });
            Assert.True(text.StartsWith('{'), $"{command}\n{text}");
            var root = System.Text.Json.JsonDocument.Parse(text).RootElement;
            var refused = root.TryGetProperty("code", out _) && root.TryGetProperty("details", out _);
            // the write example is refused by a rule on purpose; every other example answers
            Assert.True(refused == command.Contains(":recordSignature", StringComparison.Ordinal), $"{command}\n{text}");
        }
    }

    [Fact]
    public async Task The_node_example_also_consumes_decision_adopted_from_the_broker()
    {
        var modules = Path.Combine(RepoRoot.Path, "tests", "clients", "node", "node_modules");
        Assert.True(Directory.Exists(modules), "run: npm ci --prefix tests/clients/node (.ci/run does)");
        var text = await RunAsync("node", ["tests/clients/node/client.js"], new Dictionary<string, string>(Environment())
        {
            ["CSTO_AMQP_URL"] = suite.BrokerUrl,
            ["CSTO_OPERATOR_TOKEN"] = TestTokens.For("operator"),
        });
        AssertCommonOutput(text);
        // grpc-js shows grpc-message as it arrives: the challenge's message must need no percent-encoding
        Assert.Contains("error UNAUTHENTICATED: a bearer token is required (header authorization, value Bearer followed by the JWT) (TOKEN_MISSING)", text);
        Assert.Contains("amqp csto.bodies.v1.DecisionAdopted #", text);
        Assert.Contains("from bodies (application/x-protobuf): decisions/", text);
    }
}
