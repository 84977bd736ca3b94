using Microsoft.Extensions.FileProviders;

namespace Csto.Console;

/// <summary>The console's services and pages, shared by Program.cs and the browser tests (which host it in-process).</summary>
public static class ConsoleHost
{
    public static void Configure(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // read now, so that a retired setting stops the start instead of the first page
        builder.Services.AddSingleton(SuiteOptions.From(builder.Configuration));
        builder.Services.AddSingleton<Suite>();
        builder.Services.AddSingleton<LogCache>();
        ConsoleLogin.Add(builder);
        // the pages live in this assembly even when another one (a test) is the entry point
        builder.Services.AddRazorPages().AddApplicationPart(typeof(ConsoleHost).Assembly);
    }

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseSecurityHeaders();
        // the stylesheet is embedded (the pages work wherever the assembly is, a test's folder included) and open to all
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new EmbeddedFileProvider(typeof(ConsoleHost).Assembly, "Csto.Console.wwwroot") });
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseTokenRefusal();
        app.MapRazorPages();
        // no warm-up of the LogCache at start any more: the console holds no token of its own; the first page that needs the logs reads them as its user
    }
}
