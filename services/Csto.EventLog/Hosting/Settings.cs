using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Csto.EventLog.Hosting;

/// <summary>
/// Settings the .NET way: a class per configuration section (defaults in the class and in each service's appsettings.json;
/// environment variables override, <c>Section__Key</c>), validated when the host starts. A value that does not convert
/// ("Failed to convert configuration value at 'Limits:MaxPageSize'…") or breaks a rule stops the service with a message
/// naming the key and the rule.
/// </summary>
public static class Settings
{
    /// <summary>Registers <typeparamref name="T"/> bound to <paramref name="section"/>, checked by <paramref name="broken"/> at start (ValidateOnStart), and as a singleton.</summary>
    public static IServiceCollection AddSettings<T>(this IServiceCollection services, string section, Func<T, IEnumerable<(string Key, string Rule)>> broken)
        where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new SettingsRules<T>(section, broken));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<T>>().Value);
        return services;
    }

    /// <summary>Binds and checks <typeparamref name="T"/> now, for settings the host needs while it is being built (the store, token validation).</summary>
    public static T Bind<T>(IConfiguration config, string section, Func<T, IEnumerable<(string Key, string Rule)>> broken)
        where T : class, new()
    {
        ArgumentNullException.ThrowIfNull(config);
        var value = new T();
        config.GetSection(section).Bind(value);
        var result = new SettingsRules<T>(section, broken).Validate(null, value);
        return result.Failed ? throw new OptionsValidationException(section, typeof(T), result.Failures) : value;
    }

    /// <summary>Rule helpers: a positive number, a member of a set.</summary>
    public static IEnumerable<(string, string)> Positive(string key, double value) =>
        value > 0 ? [] : [(key, $"must be a positive number, not {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}")];
}

/// <summary>The rules of one settings class, each failure naming its key (<c>Section:Key: rule</c>).</summary>
public sealed class SettingsRules<T>(string section, Func<T, IEnumerable<(string Key, string Rule)>> broken) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var failures = broken(options).Select(b => $"{section}:{b.Key} {b.Rule}").ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
