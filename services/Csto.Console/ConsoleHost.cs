namespace Csto.Console;

/// <summary>The console's services and pages, shared by Program.cs and the browser tests (which host it in-process).</summary>
public static class ConsoleHost
{
    public static void Configure(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(sp => SuiteOptions.From(builder.Configuration, sp.GetRequiredService<ILogger<Suite>>()));
        builder.Services.AddSingleton<Suite>();
        builder.Services.AddSingleton<LogCache>();
        // the pages live in this assembly even when another one (a test) is the entry point
        builder.Services.AddRazorPages().AddApplicationPart(typeof(ConsoleHost).Assembly);
    }

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapRazorPages();
        // read the three logs once at start, so that the first trace or decision page does not wait for them
        var logs = app.Services.GetRequiredService<LogCache>();
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(() => logs.AllAsync()));
    }
}
