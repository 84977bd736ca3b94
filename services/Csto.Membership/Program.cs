using Csto.Membership;

// appsettings.json is read from beside the dll, wherever the service is started from
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.WebHost.UseUrls(builder.Configuration["Membership:Url"] ?? builder.Configuration["urls"] ?? "http://127.0.0.1:5101");
MembershipHost.Configure(builder);
var app = builder.Build();
MembershipHost.Map(app);
app.Run();
