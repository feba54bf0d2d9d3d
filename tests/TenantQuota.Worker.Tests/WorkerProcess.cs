using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Tests;

/// <summary>
/// One real worker process-in-a-box: the production host (WorkerHost, as Program builds it) on
/// Kestrel at a free loopback port. Several over one database and one queue stand for several workers.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WorkerProcess(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public IBus Bus => _app.Services.GetRequiredService<IBus>();

    public static async Task<WorkerProcess> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings) { ["urls"] = "http://127.0.0.1:0" });
        builder.AddTenantQuotaWorker();
        var app = builder.Build();
        try
        {
            await app.PrepareDatabaseAsync();
            app.MapTenantQuotaWorker();
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var worker = new WorkerProcess(app, new Uri(address));
        // Ready = PostgreSQL, RabbitMQ and the bus with its receive endpoint: from here a publish is consumed.
        using var http = worker.Client();
        await Eventually.Until(async () => (int)(await http.GetAsync("/health/ready")).StatusCode, status => status == 200, "the worker to be ready");
        return worker;
    }

    public HttpClient Client() => new() { BaseAddress = Address };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
