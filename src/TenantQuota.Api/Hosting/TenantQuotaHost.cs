using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Copy;
using TenantQuota.Api.Entitlements;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Plans;
using TenantQuota.Api.Tenants;
using TenantQuota.Data;
using TenantQuota.Domain.Matrix;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace TenantQuota.Api.Hosting;

public static class TenantQuotaHost
{
    public const string ConnectionStringName = "TenantQuota";

    /// <summary>Every request body is small JSON; anything bigger is refused with 413 before it is read.</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    public static WebApplicationBuilder AddTenantQuota(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        services.AddOptions<AuthSettings>().BindConfiguration("Auth").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<QuotaSettings>().BindConfiguration("Quota").ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => LoadMatrix(sp.GetRequiredService<IHostEnvironment>(), sp.GetRequiredService<IOptions<QuotaSettings>>().Value));
        services.AddSingleton(sp => QuotaCopy.Load(Resolve(sp.GetRequiredService<IHostEnvironment>(), sp.GetRequiredService<IOptions<QuotaSettings>>().Value.TemplatesPath)));
        services.AddSingleton(sp => CreateDataSource(sp.GetRequiredService<IConfiguration>()));
        services.AddDbContext<TenantQuotaDb>((sp, options) => options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton<TenantDirectory>();
        services.AddSingleton<QuotaLedger>();
        services.AddSingleton<EntitlementDependencies>();

        services.AddTenantQuotaAuth();
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            if (problem.Status is { } status && (problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal)))
                problem.Type = ProblemTypes.ForStatus(status);
            problem.Detail ??= problem.Title;
        });
        services.AddExceptionHandler<ApiExceptionHandler>();
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
        services.AddOpenApi(options => options.AddDocumentTransformer<OpenApiSecurity>());
        return builder;
    }

    /// <summary>Applies pending migrations (Database:MigrateOnStart) and fails fast on a bad matrix or templates.</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<QuotaMatrix>();
        _ = app.Services.GetRequiredService<QuotaCopy>();
        if (app.Configuration.GetValue("Database:MigrateOnStart", true))
        {
            var applied = await DatabaseMigrator.MigrateAsync(app.Services.GetRequiredService<NpgsqlDataSource>());
            if (applied.Count > 0) app.Logger.LogInformation("Applied migrations: {Migrations}", string.Join(", ", applied));
        }
    }

    public static WebApplication MapTenantQuota(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi().AllowAnonymous();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponses.Write }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = HealthResponses.Write }).AllowAnonymous();

        var v1 = app.MapGroup("/v1").ProducesProblem(401).ProducesProblem(403);
        v1.MapGet("/plans", (QuotaMatrix matrix) => TypedResults.Ok(PlansEndpoint.Describe(matrix)))
            .WithName("GetPlans");

        v1.MapPost("/entitlements/check", CheckEndpoint.Handle).RequireAuthorization(Scopes.QuotaCheck)
            .WithName("CheckEntitlement").Produces<DecisionResponse>().ProducesValidationProblem();
        v1.MapPost("/entitlements/consume", ConsumeEndpoint.Handle).RequireAuthorization(Scopes.QuotaConsume)
            .WithName("ConsumeEntitlement").Produces<DecisionResponse>().ProducesValidationProblem().ProducesProblem(409);
        v1.MapGet("/subjects/{subjectId}/usage", UsageEndpoint.Handle).RequireAuthorization(Scopes.QuotaCheck)
            .WithName("GetSubjectUsage").Produces<UsageResponse>().ProducesValidationProblem();

        var tenants = v1.MapGroup("/tenants").RequireAuthorization(Scopes.PlatformAdmin);
        tenants.MapPost("/", TenantEndpoints.Create).WithName("CreateTenant")
            .Produces<TenantResponse>(201).ProducesValidationProblem().ProducesProblem(409);
        tenants.MapGet("/{id}", TenantEndpoints.Get).WithName("GetTenant").Produces<TenantResponse>().ProducesProblem(404);
        tenants.MapPut("/{id}/tier", TenantEndpoints.ChangeTier).WithName("ChangeTenantTier")
            .Produces<TenantResponse>().ProducesValidationProblem().ProducesProblem(404);
        return app;
    }

    private static QuotaMatrix LoadMatrix(IHostEnvironment environment, QuotaSettings settings)
    {
        var path = Resolve(environment, settings.MatrixPath);
        if (!File.Exists(path)) throw new FileNotFoundException($"Quota:MatrixPath points at '{path}', which does not exist.", path);
        return QuotaMatrixParser.Parse(File.ReadAllText(path));
    }

    /// <summary>Relative paths are looked up next to the binaries first (where the build copies them), then under the content root.</summary>
    private static string Resolve(IHostEnvironment environment, string path)
    {
        if (Path.IsPathRooted(path)) return path;
        var besideBinaries = Path.Combine(AppContext.BaseDirectory, path);
        return File.Exists(besideBinaries) || Directory.Exists(besideBinaries) ? besideBinaries : Path.Combine(environment.ContentRootPath, path);
    }

    private static NpgsqlDataSource CreateDataSource(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} (env ConnectionStrings__{ConnectionStringName}) is required.");
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Prepared statements cut PostgreSQL's CPU per statement by about a third (../shared/RECIPES.md).
        if (builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 32;
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }
}
