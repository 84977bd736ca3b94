using Csto.Console;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls(builder.Configuration["Console:Url"] ?? builder.Configuration["urls"] ?? "http://127.0.0.1:5100");
ConsoleHost.Configure(builder);
var app = builder.Build();
ConsoleHost.Map(app);
app.Run();
