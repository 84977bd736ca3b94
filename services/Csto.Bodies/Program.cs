using Csto.Bodies;

// appsettings.json is read from beside the dll, wherever the service is started from
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5102");
}

BodiesHost.Configure(builder);
var app = builder.Build();
BodiesHost.Map(app);
await app.RunAsync();
