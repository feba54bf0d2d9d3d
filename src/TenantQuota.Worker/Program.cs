using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker;

/// <summary>The worker process. A namespaced entry point, so tests can host it beside the API's Program.</summary>
public static class WorkerProgram
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddTenantQuotaWorker();

        var app = builder.Build();
        await app.PrepareDatabaseAsync();
        app.MapTenantQuotaWorker();
        await app.RunAsync();
    }
}
