using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Billing;
using TenantQuota.Billing.MeterEvents;
using TenantQuota.Billing.Reconciliation;
using TenantQuota.Data;
using TenantQuota.Data.Governance;
using TenantQuota.Domain.Matrix;
using TenantQuota.Telemetry;
using TenantQuota.Worker.Alerts;
using TenantQuota.Worker.Analytics;
using TenantQuota.Worker.Outbox;
using TenantQuota.Worker.Overage;
using TenantQuota.Worker.Reconciliation;
using TenantQuota.Worker.Reports;
using TenantQuota.Worker.Subscriptions;
using TenantQuota.Worker.Webhooks;

namespace TenantQuota.Worker.Hosting;

public static class WorkerHost
{
    public const string ConnectionStringName = "TenantQuota";

    /// <summary>Where the worker listens unless urls / ASPNETCORE_URLS say otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5090";

    public static WebApplicationBuilder AddTenantQuotaWorker(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey])) builder.WebHost.UseUrls(DefaultUrl);

        builder.AddTelemetry("tenantquota-worker", [WorkerMetrics.MeterName, LedgerMetrics.MeterName], [WorkerTracing.SourceName]); // /metrics, traces, JSON logs
        services.AddWorkerBilling();
        services.AddOptions<RabbitMqSettings>().BindConfiguration("RabbitMq").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WorkerMetrics>();
        services.AddSingleton<BrokerConnection>();

        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        services.AddSingleton<HeldOverageReleaser>();
        services.AddHostedService(sp => sp.GetRequiredService<HeldOverageReleaser>());
        services.AddSingleton<ReconciliationSchedule>();
        services.AddHostedService(sp => sp.GetRequiredService<ReconciliationSchedule>());
        services.AddSingleton<BillingHousekeeping>();
        services.AddHostedService(sp => sp.GetRequiredService<BillingHousekeeping>());

        // Governance: threshold alerts, published through RabbitMQ, delivered to the tenants' webhooks (ADR 0019).
        services.AddSingleton<TenantBudgets>();
        services.AddSingleton<AlertEvaluator>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertEvaluator>());
        services.AddSingleton<TenantEventPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<TenantEventPublisher>());
        services.AddSingleton<UsageRollup>(); // usage analytics (Analytics/, ADR 0020)
        services.AddHostedService(sp => sp.GetRequiredService<UsageRollup>());
        services.AddSingleton<AnomalyStore>(); // spikes that alert and hold (ADR 0022)
        services.AddSingleton<SpikeDetector>();
        services.AddHostedService(sp => sp.GetRequiredService<SpikeDetector>());
        services.AddSingleton<UsageReports>(); // weekly reports as report.usage events (Reports/)
        services.AddHostedService(sp => sp.GetRequiredService<UsageReports>());
        services.AddSingleton<WebhookSender>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookSender>());
        // No redirects: a receiver answers where it was registered, not somewhere it points the signed body to. Public
        // addresses only, checked as each connection is made; loopback too where the API allows loopback endpoints.
        var allowLoopbackWebhooks = builder.Configuration.GetValue<bool>("Governance:AllowLoopbackHttpWebhooks");
        services.AddHttpClient(WebhookSender.HttpClientName, client => client.DefaultRequestHeaders.UserAgent.ParseAdd("TenantQuota-Webhooks/1"))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // No proxy from HTTP(S)_PROXY either: through a proxy, the connect step would see the proxy's address, not the receiver's.
                AllowAutoRedirect = false, UseProxy = false, ConnectCallback = WebhookConnections.ToPublicAddresses(allowLoopbackWebhooks),
            });

        services.AddMassTransit(bus =>
        {
            // MassTransit reports usage to its vendor over the internet unless told not to; our
            // workers talk to RabbitMQ, PostgreSQL and Stripe only.
            bus.DisableUsageTelemetry();
            bus.AddConsumer<OverageRecordedConsumer>();
            bus.AddConsumer<TenantEventRecordedConsumer>();
            bus.UsingRabbitMq((context, rabbit) =>
            {
                var broker = context.GetRequiredService<IOptions<RabbitMqSettings>>().Value;
                var worker = context.GetRequiredService<IOptions<WorkerSettings>>().Value;
                rabbit.Host(broker.Host, (ushort)broker.Port, broker.VirtualHost, "tenantquota-worker", host =>
                {
                    host.Username(broker.Username);
                    host.Password(broker.Password);
                });
                rabbit.ReceiveEndpoint(worker.OverageQueue, endpoint =>
                {
                    endpoint.PrefetchCount = worker.ConcurrentMessageLimit * 2;
                    endpoint.ConcurrentMessageLimit = worker.ConcurrentMessageLimit;
                    // Only what may pass is retried; Stripe refusing the event (MeterEventRejectedException)
                    // or a bug faults at once and the message goes to "<queue>_error".
                    endpoint.UseMessageRetry(retry =>
                    {
                        retry.Exponential(worker.RetryLimit, worker.RetryMinInterval, worker.RetryMaxInterval, worker.RetryMinInterval);
                        retry.Handle<StripeUnavailableException>();
                        retry.Handle<NpgsqlException>(e => e.IsTransient);
                        retry.Handle<TimeoutException>();
                    });
                    endpoint.ConfigureConsumer<OverageRecordedConsumer>(context);
                });
                rabbit.ReceiveEndpoint(worker.TenantEventsQueue, endpoint =>
                {
                    endpoint.UseMessageRetry(retry =>
                    {
                        retry.Exponential(worker.RetryLimit, worker.RetryMinInterval, worker.RetryMaxInterval, worker.RetryMinInterval);
                        retry.Handle<NpgsqlException>(e => e.IsTransient);
                        retry.Handle<TimeoutException>();
                    });
                    endpoint.ConfigureConsumer<TenantEventRecordedConsumer>(context);
                });
            });
        });
        // The host starts without waiting for RabbitMQ, so /health/live answers while it is away;
        // the dispatcher publishes only once the bus is up.
        services.Configure<MassTransitHostOptions>(options =>
        {
            options.WaitUntilStarted = false;
            options.StopTimeout = TimeSpan.FromSeconds(30);
        });

        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddRabbitMQ(sp => sp.GetRequiredService<BrokerConnection>().GetAsync(), name: "rabbitmq", tags: ["ready"], timeout: TimeSpan.FromSeconds(5));
        return builder;
    }

    /// <summary>
    /// What the worker host and the CLI verbs share: Worker__* settings, PostgreSQL (ConnectionStrings__TenantQuota),
    /// the quota matrix (Quota__MatrixPath, found as the API finds it), Stripe__* and Billing__* (checked against
    /// the matrix when billing is on), the meter-event sender and reconciliation.
    /// </summary>
    public static IServiceCollection AddWorkerBilling(this IServiceCollection services)
    {
        services.AddOptions<WorkerSettings>().BindConfiguration("Worker").ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => CreateDataSource(sp.GetRequiredService<IConfiguration>()));
        services.AddDbContext<TenantQuotaDb>((sp, options) => options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton<TenantDirectory>();
        services.AddSingleton(sp => HostFiles.LoadMatrix(
            sp.GetRequiredService<IConfiguration>()["Quota:MatrixPath"] ?? HostFiles.DefaultMatrixPath, sp.GetRequiredService<IHostEnvironment>().ContentRootPath));
        services.AddBilling();
        services.AddOverageReconciliation();
        return services;
    }

    /// <summary>
    /// Applies pending migrations (Database:MigrateOnStart, default true), as the API does: the outbox may be
    /// new; and fails fast on a missing or bad quota matrix.
    /// </summary>
    public static Task PrepareDatabaseAsync(this WebApplication app) => PrepareDatabaseAsync(app.Services, app.Configuration, app.Logger);

    public static async Task PrepareDatabaseAsync(IServiceProvider services, IConfiguration configuration, ILogger logger, CancellationToken cancellationToken = default)
    {
        _ = services.GetRequiredService<QuotaMatrix>();
        if (configuration.GetValue("Database:MigrateOnStart", true))
        {
            var applied = await DatabaseMigrator.MigrateAsync(services.GetRequiredService<NpgsqlDataSource>(), cancellationToken);
            if (applied.Count > 0) logger.LogInformation("Applied migrations: {Migrations}", string.Join(", ", applied));
        }
    }

    public static WebApplication MapTenantQuotaWorker(this WebApplication app)
    {
        app.MapMetrics(); // Prometheus text, to loopback or whoever has Telemetry:MetricsKey
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealth });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = WriteHealth });
        app.MapGet("/billing/health", BillingHealthEndpoint.Handle);
        return app;
    }

    private static NpgsqlDataSource CreateDataSource(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} (env ConnectionStrings__{ConnectionStringName}) is required.");
        return NpgsqlDataSource.Create(connectionString);
    }

    /// <summary>Overall status and each check's, as JSON (the API's health answers look the same).</summary>
    private static Task WriteHealth(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}
