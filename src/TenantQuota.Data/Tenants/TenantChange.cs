using Npgsql;
using NpgsqlTypes;
using TenantQuota.Data.Audit;

namespace TenantQuota.Data;

/// <summary>
/// One change to what decides a tenant's requests (overrides, budgets, departments, subjects), made like a
/// tier change: under the tenant's exclusive advisory lock (consumes in flight finish first), with a version
/// bump when the change must reach every process's cached tenant, and its audit entry in the same transaction.
/// </summary>
public sealed class TenantChange : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly string _tenantId;

    private TenantChange(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId)
    {
        _connection = connection;
        _transaction = transaction;
        _tenantId = tenantId;
    }

    /// <summary>
    /// Starts a change; null when there is no such tenant. <paramref name="exclusive"/> false is for a write that does not
    /// change how requests are decided (an alert): it takes neither the advisory lock, which would pause the tenant's
    /// consumes, nor the tenant's row.
    /// </summary>
    public static async Task<TenantChange?> BeginAsync(NpgsqlDataSource db, string tenantId, CancellationToken cancellationToken, bool exclusive = true)
    {
        var connection = await db.OpenConnectionAsync(cancellationToken);
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var change = new TenantChange(connection, transaction, tenantId);
        if (exclusive) await change.ExecuteAsync("SELECT pg_advisory_xact_lock(tq_tenant_lock_key($1))", cancellationToken, tenantId);
        if (await change.ScalarAsync(exclusive ? "SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE" : "SELECT 1 FROM tenants WHERE id = $1", cancellationToken, tenantId) is null)
        {
            await change.DisposeAsync();
            return null;
        }
        return change;
    }

    public async Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = Command(sql, values);
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is DBNull ? null : result;
    }

    public async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = Command(sql, values);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Makes every API process reload the tenant from its next request.</summary>
    public Task BumpVersionAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE tenants SET version = version + 1, updated_at = $2 WHERE id = $1", cancellationToken, _tenantId, now);

    public Task AuditAsync(string kind, string action, string? target, string actor, DateTimeOffset at, string? before, string? after, CancellationToken cancellationToken) =>
        ExecuteAsync("""
            INSERT INTO audit_log (tenant_id, kind, action, target, actor, at, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
            """, cancellationToken, _tenantId, kind, action, target, actor, at, before, after);

    public Task CommitAsync(CancellationToken cancellationToken) => _transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }

    private NpgsqlCommand Command(string sql, object?[] values)
    {
        var command = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (var value in values)
            command.Parameters.Add(value switch
            {
                null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                _ => new NpgsqlParameter { Value = value },
            });
        return command;
    }
}
