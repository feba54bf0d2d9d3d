using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.Plans;

/// <summary>The plan routes: the quota matrix as loaded at start.</summary>
public static class PlansApi
{
    public static RouteGroupBuilder MapPlans(this RouteGroupBuilder v1)
    {
        v1.MapGet("/plans", (PlansDocument plans) => TypedResults.Bytes(plans.Json, "application/json"))
            .Produces<PlansResponse>(StatusCodes.Status200OK, "application/json")
            .WithTags("Plans")
            .WithName("GetPlans")
            .WithSummary("Read the quota matrix")
            .WithDescription("Tiers × operation classes with each cell's soft and hard limit, reset cadence and over-quota action, " +
                "as loaded from the versioned matrix file at start. Any valid token.");
        return v1;
    }
}

/// <summary>
/// The plans answer, serialized once: the matrix is loaded at start and never changes in a running process,
/// and serializing its ~3 KB on every request was most of what <c>GET /v1/plans</c> cost.
/// </summary>
public sealed class PlansDocument(QuotaMatrix matrix, IOptions<JsonOptions> json)
{
    public byte[] Json { get; } = JsonSerializer.SerializeToUtf8Bytes(PlansEndpoint.Describe(matrix), json.Value.SerializerOptions);
}
