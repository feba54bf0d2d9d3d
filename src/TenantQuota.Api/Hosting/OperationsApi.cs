using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Scalar.AspNetCore;

namespace TenantQuota.Api.Hosting;

/// <summary>What operators and people reading the API use: health, the OpenAPI document, the reference page.</summary>
public static class OperationsApi
{
    public static WebApplication MapOperations(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponses.Write })
            .AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = HealthResponses.Write })
            .AllowAnonymous();

        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs", options => options
                .WithTitle("TenantQuota API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json"))
            .AllowAnonymous();
        // A person who opens the API's address in a browser wants the reference, not a 401.
        app.MapGet("/", () => TypedResults.Redirect("/docs")).AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
