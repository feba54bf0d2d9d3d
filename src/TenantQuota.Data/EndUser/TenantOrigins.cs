using Npgsql;

namespace TenantQuota.Data.EndUser;

/// <summary>
/// tenants.allowed_origins: the origins (scheme://host[:port]) whose pages may call the end-user
/// endpoints with the tenant's view tokens. The union of every tenant's is what a CORS preflight,
/// which carries no token, is checked against; it is cached for <see cref="UnionTtl"/> and the
/// database stays the arbiter (a removed origin stops working within that time).
/// </summary>
public sealed class TenantOrigins(NpgsqlDataSource db, TimeProvider clock)
{
    public static readonly TimeSpan UnionTtl = TimeSpan.FromSeconds(30);
    private volatile Snapshot? _union;

    private sealed record Snapshot(DateTimeOffset At, HashSet<string> Origins);

    /// <summary>The tenant's origins, or null when there is no such tenant.</summary>
    public async Task<string[]?> GetAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT allowed_origins FROM tenants WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
        return await command.ExecuteScalarAsync(cancellationToken) as string[];
    }

    /// <summary>Replaces the tenant's origins; false when there is no such tenant.</summary>
    public async Task<bool> SetAsync(string tenantId, IReadOnlyList<string> origins, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("UPDATE tenants SET allowed_origins = $2, updated_at = $3 WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = origins.ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = clock.GetUtcNow() });
        var changed = await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        _union = null; // this process sees its own change at once
        return changed;
    }

    /// <summary>Whether any tenant allows <paramref name="origin"/>.</summary>
    public async Task<bool> AnyTenantAllowsAsync(string origin, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var union = _union;
        if (union is null || now - union.At > UnionTtl)
        {
            var origins = new HashSet<string>(StringComparer.Ordinal);
            await using var command = db.CreateCommand("SELECT DISTINCT unnest(allowed_origins) FROM tenants");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) origins.Add(reader.GetString(0));
            _union = union = new Snapshot(now, origins);
        }
        return union.Origins.Contains(origin);
    }
}
