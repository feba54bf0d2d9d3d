using TenantQuota.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddTenantQuota();

var app = builder.Build();
await app.PrepareDatabaseAsync();
app.MapTenantQuota();
app.Run();

public partial class Program;
