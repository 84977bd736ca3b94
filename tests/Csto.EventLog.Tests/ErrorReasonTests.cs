using System.Text.RegularExpressions;
using Csto.Common.V1;
using Csto.EventLog.Api;
using Csto.Testing;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>
/// ErrorInfo.reason is part of the API: every reason the services send is a value of csto.common.v1.ErrorReason (without
/// its prefix) and a row of the table in docs/errors.md, and every value of the enum is still sent somewhere.
/// </summary>
public sealed partial class ErrorReasonTests
{
    const string Prefix = "ERROR_REASON_";

    static readonly HashSet<string> Documented = ErrorReasonReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.EnumDescriptor>(nameof(ErrorReason)).Values
        .Where(v => v.Number != 0).Select(v => v.Name[Prefix.Length..]).ToHashSet(StringComparer.Ordinal);

    /// <summary>UPPER_SNAKE literals of the services' code that are not reasons: enum value names, settings (CSTO_*, ASPNETCORE_*, OpenTelemetry's OTEL_*), error-queue reasons.</summary>
    static bool IsOtherName(string literal, HashSet<string> enumValues) =>
        enumValues.Contains(literal) || literal.StartsWith("CSTO_", StringComparison.Ordinal) || literal.StartsWith("ASPNETCORE_", StringComparison.Ordinal)
        || literal.StartsWith("OTEL_", StringComparison.Ordinal)
        || literal is Inbox.PoisonMessageException.OriginNotTrusted or Inbox.PoisonMessageException.Undecodable or Inbox.PoisonMessageException.UnknownType
            or Inbox.PoisonMessageException.EmptyBody or Inbox.PoisonMessageException.NotACstoEvent;

    static HashSet<string> LiteralsOfTheServices()
    {
        var services = Path.Combine(RepoRoot.Path, "services");
        return Directory.EnumerateFiles(services, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => UpperSnakeLiteral().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
    }

    static HashSet<string> EnumValuesOfTheProtos() =>
        Directory.EnumerateFiles(Path.Combine(RepoRoot.Path, "protos", "csto"), "*.proto", SearchOption.AllDirectories)
            .SelectMany(f => EnumValue().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .Where(v => !v.StartsWith(Prefix, StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void Every_reason_the_services_send_is_a_documented_error_reason()
    {
        var enumValues = EnumValuesOfTheProtos();
        var undocumented = LiteralsOfTheServices().Where(l => !IsOtherName(l, enumValues) && !Documented.Contains(l)).Order(StringComparer.Ordinal).ToList();
        Assert.True(undocumented.Count == 0, "add to csto.common.v1.ErrorReason and the table in docs/errors.md: " + string.Join(", ", undocumented));
    }

    [Fact]
    public void Every_error_reason_is_still_sent_and_in_the_errors_table()
    {
        var literals = LiteralsOfTheServices();
        var table = File.ReadAllText(Path.Combine(RepoRoot.Path, "docs", "errors.md"));
        var unused = Documented.Where(r => !literals.Contains(r)).ToList();
        var missing = Documented.Where(r => !table.Contains($"| `{r}` |", StringComparison.Ordinal)).ToList();
        Assert.True(unused.Count == 0, "no longer sent: " + string.Join(", ", unused));
        Assert.True(missing.Count == 0, "not in the table of docs/errors.md: " + string.Join(", ", missing));
    }

    [Theory]
    [InlineData("stream_id: required", "stream_id: required")]
    [InlineData("100% sure", "100 percent sure")]
    [InlineData("Tasmagambetov \u2014 \u201Cacting\u201D", "Tasmagambetov - \"acting\"")]
    [InlineData("Bishkek, Kyrgyz Republic; Almaty", "Bishkek, Kyrgyz Republic; Almaty")]
    [InlineData("Z\u00E1s", "Z?s")]
    public void Status_messages_keep_only_what_the_wire_carries_unencoded(string message, string expected)
    {
        var readable = RpcErrors.Readable(message);
        Assert.Equal(expected, readable);
        Assert.All(readable, c => Assert.True(c is >= ' ' and <= '~' and not '%'));
    }

    [GeneratedRegex("\"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\"")]
    private static partial Regex UpperSnakeLiteral();

    [GeneratedRegex(@"^\s+([A-Z][A-Z0-9_]+)\s*=\s*\d+\s*;", RegexOptions.Multiline)]
    private static partial Regex EnumValue();
}
