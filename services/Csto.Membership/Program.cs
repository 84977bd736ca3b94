using Csto.Membership;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls(builder.Configuration["Membership:Url"] ?? builder.Configuration["urls"] ?? "http://127.0.0.1:5101");
MembershipHost.Configure(builder);
var app = builder.Build();
MembershipHost.Map(app);
app.Run();
