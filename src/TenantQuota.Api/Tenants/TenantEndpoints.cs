using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Hosting;
using TenantQuota.Data;
using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.Tenants;

public sealed record CreateTenantRequest(string? Id, string? Name, string? Tier, string? TimeZone);

public sealed record ChangeTierRequest(string? Tier);

public sealed record TenantResponse(string Id, string Name, string Tier, string TimeZone, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static TenantResponse From(Tenant t) =>
        new(t.Id, t.Name, t.Tier, t.TimeZone, t.CreatedAt.UtcDateTime, t.UpdatedAt.UtcDateTime);
}

/// <summary>The platform operator's tenant administration (scope platform.admin).</summary>
public static partial class TenantEndpoints
{
    public static RouteGroupBuilder MapTenants(this RouteGroupBuilder v1)
    {
        var tenants = v1.MapGroup("/tenants").RequireAuthorization(Scopes.PlatformAdmin).WithTags("Tenants");
        tenants.MapPost("/", Create)
            .WithName("CreateTenant")
            .WithSummary("Create a tenant")
            .WithDescription("Provisions a tenant on a tier, in an IANA time zone (windows reset at midnight there). " +
                "An existing id is a 409. Scope platform.admin.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .AcceptsJsonBody();
        tenants.MapGet("/{id}", Get)
            .WithName("GetTenant")
            .WithSummary("Read a tenant")
            .WithDescription("The tenant's name, tier and time zone. Scope platform.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenants.MapPut("/{id}/tier", ChangeTier)
            .WithName("ChangeTenantTier")
            .WithSummary("Move a tenant to another tier")
            .WithDescription("Takes effect on the tenant's next request in every API process; usage already counted in the " +
                "current windows stays. Scope platform.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .AcceptsJsonBody();
        return v1;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex TenantIdPattern();

    public static async Task<Results<Created<TenantResponse>, ValidationProblem, ProblemHttpResult>> Create(CreateTenantRequest? request, TenantQuotaDb db, QuotaMatrix matrix, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (request is null) return Problems.Validation("body", "A JSON body is required.");
        if (request.Id is null || !TenantIdPattern().IsMatch(request.Id))
            errors["id"] = ["id is required: 1–63 characters, lower case letters, digits, '-' and '_', starting with a letter or digit."];
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200 || request.Name.Any(char.IsControl))
            errors["name"] = ["name is required: at most 200 characters, no control characters."];
        if (TierError(request.Tier, matrix) is { } tierError) errors["tier"] = [tierError];
        if (!TimeZones.TryFind(request.TimeZone, out _))
            errors["timeZone"] = [$"timeZone must be an IANA time zone id such as 'Europe/Madrid'; '{request.TimeZone}' is not one."];
        if (errors.Count > 0) return Problems.Validation(errors);

        var now = clock.GetUtcNow();
        var tenant = new Tenant { Id = request.Id!, Name = request.Name!.Trim(), Tier = request.Tier!, TimeZone = request.TimeZone!, CreatedAt = now, UpdatedAt = now };
        // ON CONFLICT answers "exists" without a failed statement, so concurrent or repeated creates
        // (start.sh seeds on every run) leave no errors in the API or PostgreSQL logs.
        var inserted = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO tenants (id, name, tier, time_zone, version, created_at, updated_at)
            VALUES ({tenant.Id}, {tenant.Name}, {tenant.Tier}, {tenant.TimeZone}, 1, {now}, {now})
            ON CONFLICT (id) DO NOTHING
            """, cancellationToken);
        if (inserted == 0)
            return Problems.Conflict(ProblemTypes.AlreadyExists, "Tenant exists.", $"A tenant with id '{request.Id}' already exists.");
        return TypedResults.Created($"/v1/tenants/{tenant.Id}", TenantResponse.From(tenant));
    }

    public static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> Get(string id, TenantQuotaDb db, CancellationToken cancellationToken)
    {
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (tenant is null) return Problems.NotFound($"There is no tenant '{id}'.");
        return TypedResults.Ok(TenantResponse.From(tenant));
    }

    /// <summary>See <see cref="TenantTierChange"/> for what a change of tier does to counters and caches.</summary>
    public static Task<Results<Ok<TenantResponse>, ValidationProblem, ProblemHttpResult>> ChangeTier(
        string id, ChangeTierRequest? request, ClaimsPrincipal user, TenantQuotaDb db, QuotaMatrix matrix, TenantDirectory directory, TimeProvider clock,
        CancellationToken cancellationToken) =>
        ChangeTierAs(Actor.Of(user), id, request, db, matrix, directory, clock, cancellationToken);

    /// <param name="actor">Who asks, as the audit log names them (<see cref="Actor"/>).</param>
    public static async Task<Results<Ok<TenantResponse>, ValidationProblem, ProblemHttpResult>> ChangeTierAs(
        string actor, string id, ChangeTierRequest? request, TenantQuotaDb db, QuotaMatrix matrix, TenantDirectory directory, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (TierError(request?.Tier, matrix) is { } tierError) return Problems.Validation("tier", tierError);
        var tenant = await TenantTierChange.ChangeAsync(db, matrix, id, request!.Tier!, clock.GetUtcNow(), actor, cancellationToken);
        if (tenant is null) return Problems.NotFound($"There is no tenant '{id}'.");
        directory.Forget(id);
        return TypedResults.Ok(TenantResponse.From(tenant));
    }

    private static string? TierError(string? tier, QuotaMatrix matrix) =>
        matrix.HasTier(tier) ? null : $"tier must be one of {string.Join(", ", matrix.Tiers)}; '{tier}' is not.";
}
