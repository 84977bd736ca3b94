namespace Csto.Console;

/// <summary>The headers every response of the console carries: no framing, no sniffing, no referrer, no script, no cached data.</summary>
public static class SecurityHeaders
{
    /// <summary>The pages use no script and no inline style (the stylesheet is <see cref="Stylesheet"/>; charts colour with SVG attributes).</summary>
    public const string ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    /// <summary>The one static file (wwwroot/console.css, embedded in the assembly): the only response a browser may cache.</summary>
    public const string Stylesheet = "/console.css";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            if (!context.Request.Path.Equals(Stylesheet, StringComparison.Ordinal))
            {
                // every page shows the record as the signed-in user may read it: no copy in the browser's cache or a proxy's
                headers.CacheControl = "no-store";
                headers.Pragma = "no-cache";
            }

            return Task.CompletedTask;
        });
        return next(context);
    });
}
