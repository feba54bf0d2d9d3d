using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace TenantQuota.Worker.Hosting;

/// <summary>Ready only when PostgreSQL answers and the outbox table exists (the schema is migrated).</summary>
public sealed class DatabaseHealthCheck(NpgsqlDataSource db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = db.CreateCommand("SELECT to_regclass('billing_outbox') IS NOT NULL");
            return await command.ExecuteScalarAsync(cancellationToken) is true
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("billing_outbox does not exist: the database is not migrated");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is not reachable", e);
        }
    }
}
