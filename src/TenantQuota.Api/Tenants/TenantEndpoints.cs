using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using TenantQuota.Api.Errors;
using TenantQuota.Data;
using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;
using NodaTime;

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
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex TenantIdPattern();

    public static async Task<IResult> Create(CreateTenantRequest? request, TenantQuotaDb db, QuotaMatrix matrix, TimeProvider clock, CancellationToken cancellationToken)
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

    public static async Task<IResult> Get(string id, TenantQuotaDb db, CancellationToken cancellationToken) =>
        await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, cancellationToken) is { } tenant
            ? TypedResults.Ok(TenantResponse.From(tenant))
            : Problems.NotFound($"There is no tenant '{id}'.");

    /// <summary>
    /// Moves the tenant to another tier. The version bump makes every API process's cached copy
    /// stale at once: their next statement for this tenant sees it and reloads. Usage already
    /// counted in the current windows stays: where the new tier resets a class on another cadence,
    /// that class's new window is re-counted from the usage records. The exclusive tenant lock waits
    /// for consumes in flight (they hold it shared) and holds new ones until the change commits.
    /// </summary>
    public static async Task<IResult> ChangeTier(
        string id, ChangeTierRequest? request, TenantQuotaDb db, QuotaMatrix matrix, TenantDirectory directory, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (TierError(request?.Tier, matrix) is { } tierError) return Problems.Validation("tier", tierError);
        var newTier = request!.Tier!;
        var now = clock.GetUtcNow();

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_xact_lock(hashtextextended({id}, 7451))", cancellationToken);
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (tenant is null) return Problems.NotFound($"There is no tenant '{id}'.");

        await db.Tenants.Where(t => t.Id == id).ExecuteUpdateAsync(set => set
            .SetProperty(t => t.Tier, newTier)
            .SetProperty(t => t.Version, t => t.Version + 1)
            .SetProperty(t => t.UpdatedAt, now), cancellationToken);
        TimeZones.TryFind(tenant.TimeZone, out var zone);
        foreach (var operationClass in matrix.OperationClasses.Select(c => c.Name))
        {
            var newCell = matrix.Cell(newTier, operationClass);
            if (matrix.HasTier(tenant.Tier) && matrix.Cell(tenant.Tier, operationClass).Reset == newCell.Reset) continue;
            var window = QuotaWindow.Containing(Instant.FromDateTimeOffset(now), newCell.Reset, zone ?? TimeZones.Utc);
            await RecountWindow(db, id, operationClass, window, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);

        directory.Forget(id);
        return await Get(id, db, cancellationToken);
    }

    /// <summary>Sets each subject's counter for a window to what its usage records say was recorded in it.</summary>
    private static Task<int> RecountWindow(TenantQuotaDb db, string tenantId, string operationClass, QuotaWindow window, CancellationToken cancellationToken)
    {
        var start = window.Start.ToDateTimeUtc();
        var end = window.End.ToDateTimeUtc();
        return db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO quota_counters AS c (tenant_id, level, owner_id, metric, window_start, window_end, used)
            SELECT tenant_id, 'subject', subject_id, operation_class, {start}, {end}, sum(quantity)
              FROM usage_records
             WHERE tenant_id = {tenantId} AND operation_class = {operationClass} AND recorded
               AND created_at >= {start} AND created_at < {end}
             GROUP BY tenant_id, subject_id, operation_class
            ON CONFLICT ON CONSTRAINT quota_counters_pkey DO UPDATE SET used = EXCLUDED.used
            """, cancellationToken);
    }

    private static string? TierError(string? tier, QuotaMatrix matrix) =>
        matrix.HasTier(tier) ? null : $"tier must be one of {string.Join(", ", matrix.Tiers)}; '{tier}' is not.";
}
