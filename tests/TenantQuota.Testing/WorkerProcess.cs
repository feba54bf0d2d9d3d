using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Testing;

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

    /// <summary>
    /// A test worker's settings: the database, broker, queue and LocalStripe given; quick polls and retries;
    /// reconciliation and billing housekeeping off, so that only the pipeline under test moves overage
    /// (tests run those when they mean to).
    /// </summary>
    public static Dictionary<string, string?> QuickSettings(TestRabbitMq broker, string connectionString, string stripeSecretKey, string stripeApiBase, string queue) =>
        new(broker.Settings())
        {
            ["ConnectionStrings:TenantQuota"] = connectionString,
            ["Stripe:SecretKey"] = stripeSecretKey,
            ["Stripe:BaseUrl"] = stripeApiBase,
            ["Worker:OverageQueue"] = queue,
            ["Worker:OutboxPollInterval"] = "00:00:00.100",
            ["Worker:HeldReleaseInterval"] = "00:00:00.200",
            ["Worker:RetryLimit"] = "10",
            ["Worker:RetryMinInterval"] = "00:00:00.050",
            ["Worker:RetryMaxInterval"] = "00:00:00.500",
            ["Worker:ReconcileInterval"] = "00:00:00",
            ["Worker:BillingHousekeepingInterval"] = "00:00:00",
            // Tests evaluate alerts, roll usage up and send reports when they mean to; deliveries go at once.
            ["Worker:AlertInterval"] = "00:00:00",
            ["Worker:RollupInterval"] = "00:00:00",
            ["Worker:ReportInterval"] = "00:00:00",
            ["Worker:AnomalyInterval"] = "00:00:00",
            ["Governance:AllowLoopbackHttpWebhooks"] = "true", // the tests' receivers listen on 127.0.0.1
            ["Worker:TenantEventsQueue"] = queue + "-tenant-events",
            ["Worker:WebhookPollInterval"] = "00:00:00.100",
        };

    public HttpClient Client() => new() { BaseAddress = Address };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
