using Csto.Operations;

// appsettings.json is read from beside the dll, wherever the service is started from
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5103");
}

OperationsHost.Configure(builder);
var app = builder.Build();
OperationsHost.Map(app);
await app.RunAsync();
