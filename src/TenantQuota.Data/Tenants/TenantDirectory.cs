using System.Collections.Concurrent;
using NodaTime;
using Npgsql;
using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Data;

/// <summary>What the hot path needs to know about a tenant: its tier, zone, version and matrix overrides.</summary>
public sealed record TenantSnapshot(string Id, string Tier, DateTimeZone Zone, long Version, IReadOnlyDictionary<string, CellOverride> Overrides)
{
    /// <summary>The cell that applies to this tenant: its tier's, with its override for the class if any.</summary>
    public QuotaCell Cell(QuotaMatrix matrix, string operationClass) => matrix.Cell(Tier, operationClass, Overrides);
}

/// <summary>
/// A per-process cache of tenants. The database stays the arbiter: every hot-path statement
/// carries the cached <see cref="TenantSnapshot.Version"/> and the database answers "stale" when a
/// tier change has moved it on, whichever process made the change; the caller then reloads.
/// </summary>
public sealed class TenantDirectory(NpgsqlDataSource db)
{
    private readonly ConcurrentDictionary<string, TenantSnapshot> _cache = new(StringComparer.Ordinal);

    public ValueTask<TenantSnapshot?> FindAsync(string tenantId, CancellationToken cancellationToken) =>
        _cache.TryGetValue(tenantId, out var cached)
            ? ValueTask.FromResult<TenantSnapshot?>(cached)
            : new ValueTask<TenantSnapshot?>(ReloadAsync(tenantId, cancellationToken));

    public async Task<TenantSnapshot?> ReloadAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT tier, time_zone, version, overrides::text FROM tenants WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            _cache.TryRemove(tenantId, out _);
            return null;
        }
        var zone = TimeZones.TryFind(reader.GetString(1), out var found) ? found : TimeZones.Utc;
        var snapshot = new TenantSnapshot(tenantId, reader.GetString(0), zone, reader.GetInt64(2), TenantOverrides.Parse(reader.GetString(3)));
        _cache[tenantId] = snapshot;
        return snapshot;
    }

    /// <summary>Drops this process's copy after a local change, so its next request reads the new one at once.</summary>
    public void Forget(string tenantId) => _cache.TryRemove(tenantId, out _);
}
