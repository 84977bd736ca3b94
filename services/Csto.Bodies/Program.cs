using Csto.Bodies;

var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5102");
}

BodiesHost.Configure(builder);
var app = builder.Build();
BodiesHost.Map(app);
await app.RunAsync();
