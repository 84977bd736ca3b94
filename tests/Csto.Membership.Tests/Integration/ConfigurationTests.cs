using Microsoft.Extensions.Configuration;
using Csto.Testing;

namespace Csto.Membership.Tests.Integration;

/// <summary>A bad setting stops the service before it serves anything, with a message naming the key and the rule.</summary>
public sealed class ConfigurationTests
{
    // the host stops before it connects: no broker is needed behind this address
    const string Broker = "amqp://csto-membership:unused@127.0.0.1:1/csto";

    [Theory]
    [InlineData("Limits:MaxPageSize", "-5", "Limits:MaxPageSize must be a positive number")]
    [InlineData("Limits:MaxStringLength", "many", "'Limits:MaxStringLength'")]
    [InlineData("Security:RequireHttpsMetadata", "maybe", "'Security:RequireHttpsMetadata'")]
    [InlineData("Security:SigningKey", "too-short", "Security:SigningKey must be at least 32 bytes")]
    [InlineData("EventLog:QueueType", "mirrored", "EventLog:QueueType")]
    [InlineData("EventLog:Store", "mysql", "EventLog:Store")]
    [InlineData("EventLog:StreamCacheRecords", "-1", "EventLog:StreamCacheRecords '-1' must be a whole number of records, 0 or more")]
    [InlineData("EventLog:StreamCacheRecords", "lots", "EventLog:StreamCacheRecords 'lots' must be a whole number")]
    [InlineData("CSTO_LOG_FORMAT", "xml", "CSTO_LOG_FORMAT")]
    public async Task A_bad_value_stops_the_service_with_a_message_naming_the_key(string key, string value, string message)
    {
        using var dir = new TempDir();
        var settings = new Dictionary<string, string?> { [key] = value };
        var failure = await Record.ExceptionAsync(async () =>
        {
            await using var host = await ServiceHost.StartAsync(MembershipHost.ServiceName, Broker, dir.Path, MembershipHost.Configure, MembershipHost.Map, settings);
        });

        Assert.NotNull(failure);
        Assert.Contains(message, failure.GetBaseException().Message + " " + failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_defaults_of_the_options_classes_are_the_ones_in_appsettings_json()
    {
        // appsettings.json documents every setting; the classes hold the same defaults, so that a service started without the file behaves alike
        var path = Path.Combine(FindRepository(), "services", "Csto.Membership", "appsettings.json");
        var config = new ConfigurationBuilder().AddJsonFile(path).Build();
        var limits = new Csto.EventLog.Security.LimitsOptions();
        var security = new Csto.EventLog.Security.SecurityOptions();
        Assert.Equal(limits.MaxReceiveMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), config["Limits:MaxReceiveMessageBytes"]);
        Assert.Equal(limits.MaxStringLength.ToString(System.Globalization.CultureInfo.InvariantCulture), config["Limits:MaxStringLength"]);
        Assert.Equal(limits.MaxRepeatedCount.ToString(System.Globalization.CultureInfo.InvariantCulture), config["Limits:MaxRepeatedCount"]);
        Assert.Equal(limits.MaxPageSize.ToString(System.Globalization.CultureInfo.InvariantCulture), config["Limits:MaxPageSize"]);
        Assert.Equal(limits.MaxFollowStreamsPerCaller.ToString(System.Globalization.CultureInfo.InvariantCulture), config["Limits:MaxFollowStreamsPerCaller"]);
        Assert.Equal(security.Audience, config["Security:Audience"]);
        Assert.Equal(security.Issuer, config["Security:Issuer"]);
        Assert.Equal("True", config["Security:RequireHttpsMetadata"], ignoreCase: true);
        Assert.Equal("False", config["Security:AllowDevelopmentKey"], ignoreCase: true);
        Assert.Equal("sqlite", config["EventLog:Store"]);
        Assert.Equal("classic", config["EventLog:QueueType"]);
        Assert.Equal(Csto.EventLog.StreamCache.DefaultCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture), config["EventLog:StreamCacheRecords"]);
        Assert.Equal("json", config["Logging:Console:FormatterName"]);
        await Task.CompletedTask;
    }

    static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CstoServices.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("CstoServices.sln not found above " + AppContext.BaseDirectory);
    }
}
