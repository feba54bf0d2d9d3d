using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Api.Audit;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Billing;
using TenantQuota.Api.Budgets;
using TenantQuota.Api.Clients;
using TenantQuota.Api.Dashboard;
using TenantQuota.Api.Demo;
using TenantQuota.Api.EndUser;
using TenantQuota.Api.Entitlements;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Governance;
using TenantQuota.Api.Plans;
using TenantQuota.Api.Tenants;
using TenantQuota.Copy;
using TenantQuota.Data;
using TenantQuota.Data.Audit;
using TenantQuota.Domain.Matrix;
using TenantQuota.Domain.Prices;
using TenantQuota.Identity.Store;
using TenantQuota.Telemetry;

namespace TenantQuota.Api.Hosting;

public static class TenantQuotaHost
{
    public const string ConnectionStringName = "TenantQuota";

    public static WebApplicationBuilder AddTenantQuota(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.WebHost.ConfigureKestrel(kestrel => RequestLimits.ConfigureKestrel(kestrel.Limits));
        services.AddOptions<AuthSettings>().BindConfiguration("Auth").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<QuotaSettings>().BindConfiguration("Quota").ValidateDataAnnotations()
            .Validate(q => q.Thresholds.Problem() is null, "Quota:NudgeAt must be below Quota:FinalWarningAt (env Quota__NudgeAt, Quota__FinalWarningAt)")
            .Validate(q => q.LowPriorityShare <= q.NormalPriorityShare && q.NormalPriorityShare <= q.HighPriorityShare,
                "Quota:LowPriorityShare ≤ Quota:NormalPriorityShare ≤ Quota:HighPriorityShare is required: a higher priority never stops first")
            .ValidateOnStart();

        services.AddSingleton(TimeProvider.System);
        builder.AddTelemetry("tenantquota-api", [ApiMetrics.MeterName, LedgerMetrics.MeterName], activitySources: []); // /metrics, traces, JSON logs
        services.AddSingleton<ApiMetrics>();
        services.AddSingleton(sp => HostFiles.LoadMatrix(sp.GetRequiredService<IOptions<QuotaSettings>>().Value.MatrixPath, sp.GetRequiredService<IHostEnvironment>().ContentRootPath));
        services.AddSingleton(sp => HostFiles.LoadPrices(sp.GetRequiredService<IOptions<QuotaSettings>>().Value.PricesPath, sp.GetRequiredService<IHostEnvironment>().ContentRootPath)
            .CheckedAgainst(sp.GetRequiredService<QuotaMatrix>()));
        services.AddSingleton(sp => QuotaCopy.Load(
            HostFiles.Resolve(sp.GetRequiredService<IOptions<QuotaSettings>>().Value.TemplatesPath, sp.GetRequiredService<IHostEnvironment>().ContentRootPath),
            sp.GetRequiredService<QuotaMatrix>()));
        services.AddSingleton(sp => CreateDataSource(sp.GetRequiredService<IConfiguration>()));
        services.AddDbContext<TenantQuotaDb>((sp, options) => options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton<PlansDocument>(); // GET /v1/plans, serialized once (Plans/)
        services.AddSingleton<TenantDirectory>();
        services.AddSingleton<QuotaLedger>();
        services.AddSingleton<EntitlementDependencies>();
        services.AddIdentityStore(ConnectionStringName); // API clients (Clients/); migrates the identity schema at start too
        services.AddBillingApi(); // Stripe (Billing/): off, and answering 503, unless Stripe__SecretKey is set

        services.AddTenantQuotaAuth();
        services.AddEndUser(); // view tokens, the meter's script, allowed origins (EndUser/)
        services.AddUxMetrics(); // what end users did with the copy, and the experience metrics (EndUser/UxEndpoints)
        services.AddSingleton<AuditLog>(); // who changed what (Audit/)
        services.AddSingleton<TenantBudgets>(); // budgets, departments, subjects (Budgets/)
        services.AddSingleton<ReservationSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<ReservationSweeper>()); // frees expired holds (Entitlements/)
        services.AddSingleton<TenantOverrides>(); // enterprise deals (Tenants/TenantOverridesEndpoints)
        services.AddGovernance(); // webhook endpoints and the alert list (Governance/)
        services.AddDashboard(); // the tenant admin's web dashboard at /dashboard, signed in through the issuer (Dashboard/)
        services.AddOptions<DemoSettings>().BindConfiguration("Demo"); // the demo product at /demo, off unless Demo__Enabled (Demo/)
        services.AddProblemJson();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(options =>
        {
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
            // "quantity": "3" is a client bug worth a 400, not something to guess at.
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            // {"quantity":1,"quantity":500} must not quietly mean 500.
            options.SerializerOptions.AllowDuplicateProperties = false;
        });
        services.AddHealthChecks().AddDbContextCheck<TenantQuotaDb>("database", tags: ["ready"]);
        services.AddTenantQuotaOpenApi();
        return builder;
    }

    /// <summary>Applies pending migrations (Database:MigrateOnStart) and fails fast on a bad matrix, price table or templates.</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<QuotaMatrix>();
        _ = app.Services.GetRequiredService<QuotaCopy>();
        _ = app.Services.GetRequiredService<PriceTable>();
        if (app.Configuration.GetValue("Database:MigrateOnStart", true))
        {
            var applied = await DatabaseMigrator.MigrateAsync(app.Services.GetRequiredService<NpgsqlDataSource>());
            if (applied.Count > 0) app.Logger.LogInformation("Applied migrations: {Migrations}", string.Join(", ", applied));
        }
    }

    public static WebApplication MapTenantQuota(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.MapMetrics(); // Prometheus text, to loopback or whoever has Telemetry:MetricsKey
        app.UseRequestLimits();
        app.UseStatusCodePages();
        app.UseCors(); // only endpoints that ask for it: the end user's (EndUser/EndUserCors)
        app.UseDashboardHeaders(); // CSP and friends on /dashboard, its sign-in redirects included
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOperations();
        app.MapWidget();
        app.MapDemo();
        app.MapDashboard();
        var v1 = app.MapGroup("/v1")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status414UriTooLong)
            .ProducesProblem(StatusCodes.Status431RequestHeaderFieldsTooLarge)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        v1.MapPlans();
        v1.MapEntitlements();
        v1.MapTenants();
        v1.MapTenantOverrides();
        v1.MapBudgets();
        v1.MapClients();
        v1.MapBilling();
        v1.MapEndUser();
        v1.MapUxMetrics();
        v1.MapAudit();
        v1.MapGovernance();
        return app;
    }

    private static NpgsqlDataSource CreateDataSource(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} (env ConnectionStrings__{ConnectionStringName}) is required.");
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Prepared statements cut PostgreSQL's CPU per statement by about a third (../shared/RECIPES.md).
        if (builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 32;
        // A pooled connection is otherwise reset (RESET ALL, CLOSE ALL, UNLISTEN, unlock all, ...) each time it is
        // taken again, one parsed statement per request: a third of PostgreSQL's CPU per check in a profile. This API
        // leaves no session state behind: every session-level advisory lock is released in a finally.
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase))
            builder.NoResetOnClose = true;
        // The hot statements take arrays (unnest): PostgreSQL plans them afresh on every execution, because a generic
        // plan, which cannot see the arrays' lengths, always looks costlier than a custom one. Their generic plan is
        // the right one (an index probe per element), so prepared statements use it; ad hoc ones are still planned.
        if (builder.Options is null || !builder.Options.Contains("plan_cache_mode", StringComparison.Ordinal))
            builder.Options = $"{builder.Options} -c plan_cache_mode=force_generic_plan".Trim();
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }
}
