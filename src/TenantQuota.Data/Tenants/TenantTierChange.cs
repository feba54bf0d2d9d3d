using Microsoft.EntityFrameworkCore;
using NodaTime;
using TenantQuota.Data.Audit;
using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Data;

/// <summary>
/// Moves a tenant to another tier, for whichever host asks (the platform admin's API call now, the
/// billing webhook later). The version bump makes every process's cached copy stale at once: their
/// next statement for this tenant sees it and reloads. Usage already counted in the current windows
/// stays: where the new tier resets a class on another cadence, that class's new window is
/// re-counted from the usage records. The exclusive tenant lock waits for consumes in flight (they
/// hold it shared) and holds new ones until the change commits (ADR 0006).
/// </summary>
public static class TenantTierChange
{
    /// <param name="actor">Who asked, for the audit log: a client id, stripe:&lt;event id&gt;, …</param>
    /// <returns>The tenant after the change, or null when there is no such tenant.</returns>
    public static async Task<Tenant?> ChangeAsync(
        TenantQuotaDb db, QuotaMatrix matrix, string tenantId, string newTier, DateTimeOffset now, string actor, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_xact_lock(tq_tenant_lock_key({tenantId}))", cancellationToken);
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken);
        if (tenant is null) return null;

        await db.Tenants.Where(t => t.Id == tenantId).ExecuteUpdateAsync(set => set
            .SetProperty(t => t.Tier, newTier)
            .SetProperty(t => t.Version, t => t.Version + 1)
            .SetProperty(t => t.UpdatedAt, now), cancellationToken);
        var zone = TimeZones.TryFind(tenant.TimeZone, out var found) ? found : TimeZones.Utc;
        foreach (var operationClass in matrix.OperationClasses.Select(c => c.Name))
        {
            var newCell = matrix.Cell(newTier, operationClass);
            if (matrix.HasTier(tenant.Tier) && matrix.Cell(tenant.Tier, operationClass).ResetName == newCell.ResetName) continue;
            var window = newCell.WindowAt(Instant.FromDateTimeOffset(now), zone);
            if (window.IsRolling) await RecountRollingWindowAsync(db, tenantId, operationClass, window, cancellationToken);
            else await RecountWindowAsync(db, tenantId, operationClass, window, cancellationToken);
        }
        if (tenant.Tier != newTier)
            await AuditLog.AppendAsync(db, new AuditEntry(tenantId, AuditLog.Tier, "changed", null, actor, now, new { tier = tenant.Tier }, new { tier = newTier }), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await db.Tenants.AsNoTracking().FirstAsync(t => t.Id == tenantId, cancellationToken);
    }

    /// <summary>
    /// Sets each subject's bucket counters of a rolling window to what its usage records say was recorded in them
    /// (buckets aligned to the Unix epoch, as <see cref="QuotaWindow"/> makes them).
    /// </summary>
    private static Task<int> RecountRollingWindowAsync(TenantQuotaDb db, string tenantId, string operationClass, QuotaWindow window, CancellationToken cancellationToken)
    {
        var from = window.CountsFrom.ToDateTimeUtc();
        var length = window.Start - window.CountsFrom;
        var bucket = (window.End - window.Start - length).ToTimeSpan();
        var lengthSpan = length.ToTimeSpan();
        return db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO quota_counters AS c (tenant_id, level, owner_id, metric, window_start, window_end, used)
            SELECT tenant_id, {LedgerProtocol.SubjectLevel}, subject_id, operation_class,
                   date_bin({bucket}, created_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                   date_bin({bucket}, created_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') + {bucket} + {lengthSpan}, sum(quantity)
              FROM usage_records
             WHERE tenant_id = {tenantId} AND operation_class = {operationClass} AND recorded AND created_at >= {from}
             GROUP BY 1, 2, 3, 4, 5, 6
            ON CONFLICT (tenant_id, level, owner_id, metric, window_start) DO UPDATE SET used = EXCLUDED.used
            """, cancellationToken);
    }

    /// <summary>Sets each subject's counter for a window to what its usage records say was recorded in it.</summary>
    private static Task<int> RecountWindowAsync(TenantQuotaDb db, string tenantId, string operationClass, QuotaWindow window, CancellationToken cancellationToken)
    {
        var start = window.Start.ToDateTimeUtc();
        var end = window.End.ToDateTimeUtc();
        return db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO quota_counters AS c (tenant_id, level, owner_id, metric, window_start, window_end, used)
            SELECT tenant_id, {LedgerProtocol.SubjectLevel}, subject_id, operation_class, {start}, {end}, sum(quantity)
              FROM usage_records
             WHERE tenant_id = {tenantId} AND operation_class = {operationClass} AND recorded
               AND created_at >= {start} AND created_at < {end}
             GROUP BY tenant_id, subject_id, operation_class
            ON CONFLICT (tenant_id, level, owner_id, metric, window_start) DO UPDATE SET used = EXCLUDED.used
            """, cancellationToken);
    }
}
