namespace TenantQuota.Api.Plans;

/// <summary>The plan routes: the quota matrix as loaded at start.</summary>
public static class PlansApi
{
    public static RouteGroupBuilder MapPlans(this RouteGroupBuilder v1)
    {
        v1.MapGet("/plans", (Domain.Matrix.QuotaMatrix matrix) => TypedResults.Ok(PlansEndpoint.Describe(matrix)))
            .WithTags("Plans")
            .WithName("GetPlans")
            .WithSummary("Read the quota matrix")
            .WithDescription("Tiers × operation classes with each cell's soft and hard limit, reset cadence and over-quota action, " +
                "as loaded from the versioned matrix file at start. Any valid token.");
        return v1;
    }
}
