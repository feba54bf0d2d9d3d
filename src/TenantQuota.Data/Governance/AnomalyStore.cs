using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Npgsql;
using TenantQuota.Data.Audit;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Governance;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Data.Governance;

/// <summary>A hold as the tenant reads it: on whom, what it does, since when, and the spike that placed it.</summary>
public sealed record HoldRecord(string Level, string OwnerId, string Action, string? FallbackClass, DateTimeOffset HeldAt, DateTimeOffset Hour,
    string EventId, DateTimeOffset? ClearedAt = null, string? ClearedBy = null);

/// <summary>A spike of one owner in one hour, as the detector found it (amounts in the metric's counting unit).</summary>
public sealed record FoundSpike(QuotaLevel Level, string OwnerId, DateTimeOffset Hour, Spike Spike);

/// <summary>
/// anomaly_policies, anomalies and anomaly_holds (docs/decisions/0022). A hold and its copy on the subject's or department's
/// row change together, under the tenant's change lock (<see cref="TenantChange"/>), with their audit entry.
/// </summary>
public sealed class AnomalyStore(NpgsqlDataSource db, QuotaMatrix matrix, TimeProvider clock)
{
    /// <summary>The actor the audit log names for what the detector does.</summary>
    public const string DetectorActor = "anomaly-detector";

    /// <summary>After an administrator clears a hold, the detector only notifies about that owner for this long.</summary>
    public static readonly TimeSpan QuietAfterClearing = TimeSpan.FromHours(24);

    public async Task<AnomalyPolicy?> GetPolicyAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT policy::text FROM anomaly_policies WHERE tenant_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? AnomalyPolicies.FromStored(json, matrix) : null;
    }

    /// <summary>Sets (or with null removes) the tenant's policy; false when there was none to remove. Audited.</summary>
    public async Task<bool> SetPolicyAsync(string tenantId, AnomalyPolicy? policy, string actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var change = await TenantChange.BeginAsync(db, tenantId, cancellationToken)
                                 ?? throw new InvalidOperationException($"Tenant {tenantId} is gone.");
        var before = (string?)await change.ScalarAsync("SELECT policy::text FROM anomaly_policies WHERE tenant_id = $1", cancellationToken, tenantId);
        if (policy is null && before is null) return false;
        var after = policy is null ? null : AnomalyPolicies.ToJson(policy).ToJsonString();
        if (policy is null) await change.ExecuteAsync("DELETE FROM anomaly_policies WHERE tenant_id = $1", cancellationToken, tenantId);
        else
            await change.ExecuteAsync("""
                INSERT INTO anomaly_policies (tenant_id, policy, updated_at) VALUES ($1, $2::jsonb, $3)
                ON CONFLICT (tenant_id) DO UPDATE SET policy = EXCLUDED.policy, updated_at = EXCLUDED.updated_at
                """, cancellationToken, tenantId, after, now);
        // A new or removed policy starts afresh: the detector's first look is the last complete hour, never the hours before it.
        if (policy is null || before is null) await change.ExecuteAsync("DELETE FROM anomaly_marks WHERE tenant_id = $1", cancellationToken, tenantId);
        await change.AuditAsync(AuditLog.AnomalyPolicy, policy is null ? "removed" : before is null ? "created" : "changed", null, actor, now, before, after, cancellationToken);
        await change.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The tenant's open holds, newest first; with <paramref name="includeCleared"/>, also those cleared in the last 30 days.</summary>
    public async Task<IReadOnlyList<HoldRecord>> ListHoldsAsync(string tenantId, bool includeCleared, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT level, owner_id, action, fallback_class, held_at, hour, event_id, cleared_at, cleared_by FROM anomaly_holds
             WHERE tenant_id = $1 AND (cleared_at IS NULL OR ($2 AND cleared_at > $3))
             ORDER BY held_at DESC, owner_id LIMIT 500
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = includeCleared });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow().AddDays(-30) });
        var holds = new List<HoldRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            holds.Add(new HoldRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetString(8)));
        return holds;
    }

    /// <summary>Lifts the open hold of an owner from its next request on; false when there is none. Audited.</summary>
    public async Task<bool> ClearHoldAsync(string tenantId, QuotaLevel level, string ownerId, string actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var change = await TenantChange.BeginAsync(db, tenantId, cancellationToken);
        if (change is null) return false;
        var before = (string?)await change.ScalarAsync("""
            UPDATE anomaly_holds SET cleared_at = $4, cleared_by = $5 WHERE tenant_id = $1 AND level = $2 AND owner_id = $3 AND cleared_at IS NULL
            RETURNING json_build_object('action', action, 'fallbackClass', fallback_class, 'hour', hour, 'eventId', event_id, 'heldAt', held_at)::text
            """, cancellationToken, tenantId, level.ToWireName(), ownerId, now, actor);
        if (before is null) return false;
        await SetOwnerHoldAsync(change, tenantId, level, ownerId, hold: null, now, cancellationToken);
        await change.AuditAsync(AuditLog.AnomalyHold, "cleared", $"{level.ToWireName()}:{ownerId}", actor, now, before, null, cancellationToken);
        await change.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Acts on one spike: records it, and unless another worker already did, holds the owner (the policy's degrade or block,
    /// unless it is held already or was cleared within <see cref="QuietAfterClearing"/>) and writes an alert.anomaly for a new
    /// hold or a new episode (no spike the hour before). Answers whether it wrote an event.
    /// </summary>
    public async Task<bool> ActAsync(string tenantId, AnomalyPolicy policy, FoundSpike found, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var level = found.Level.ToWireName();
        var hold = policy.HoldAt(found.Level);
        // Only a hold changes what decides the tenant's requests, so only a hold pauses them (the tenant's exclusive lock);
        // an alert is written beside them. A spike already recorded is left at once, without waiting for anything.
        await using (var seen = db.CreateCommand("SELECT 1 FROM anomalies WHERE tenant_id = $1 AND level = $2 AND owner_id = $3 AND hour = $4"))
        {
            foreach (var value in new object[] { tenantId, level, found.OwnerId, found.Hour }) seen.Parameters.Add(new NpgsqlParameter { Value = value });
            if (await seen.ExecuteScalarAsync(cancellationToken) is not null) return false;
        }
        await using var change = await TenantChange.BeginAsync(db, tenantId, cancellationToken, exclusive: hold is not null);
        if (change is null) return false;
        if (hold is not null)
        {
            var openOrQuiet = await change.ScalarAsync("""
                SELECT 1 FROM anomaly_holds WHERE tenant_id = $1 AND level = $2 AND owner_id = $3 AND (cleared_at IS NULL OR cleared_at > $4) LIMIT 1
                """, cancellationToken, tenantId, level, found.OwnerId, now - QuietAfterClearing);
            if (openOrQuiet is not null) hold = null;
        }
        var action = hold is null ? AnomalyAction.Notify : policy.Action;
        var inserted = await change.ExecuteAsync("""
            INSERT INTO anomalies (tenant_id, level, owner_id, hour, metric, observed, expected, threshold, action) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT DO NOTHING
            """, cancellationToken, tenantId, level, found.OwnerId, found.Hour, policy.Metric, found.Spike.Observed, found.Spike.Expected,
            found.Spike.Threshold, AnomalyPolicies.Name(action));
        if (inserted == 0) return false; // another worker found it first and acted

        var episodeGoesOn = await change.ScalarAsync("SELECT 1 FROM anomalies WHERE tenant_id = $1 AND level = $2 AND owner_id = $3 AND hour = $4",
            cancellationToken, tenantId, level, found.OwnerId, found.Hour.AddHours(-1)) is not null;
        if (hold is null && episodeGoesOn) return await Committed(change, cancellationToken, wrote: false);

        var eventId = "evt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var data = EventData(policy, found, action);
        await change.ExecuteAsync("INSERT INTO tenant_events (tenant_id, id, type, created_at, data) VALUES ($1, $2, $3, $4, $5::jsonb)",
            cancellationToken, tenantId, eventId, WebhookEvents.Anomaly, now, data.ToJsonString());
        await change.ExecuteAsync("UPDATE anomalies SET event_id = $5 WHERE tenant_id = $1 AND level = $2 AND owner_id = $3 AND hour = $4",
            cancellationToken, tenantId, level, found.OwnerId, found.Hour, eventId);
        if (hold is not null)
        {
            await change.ExecuteAsync("""
                INSERT INTO anomaly_holds (tenant_id, level, owner_id, action, fallback_class, hour, event_id, held_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, cancellationToken, tenantId, level, found.OwnerId, hold.Action, hold.FallbackClass, found.Hour, eventId, now);
            await SetOwnerHoldAsync(change, tenantId, found.Level, found.OwnerId, hold, now, cancellationToken);
            await change.AuditAsync(AuditLog.AnomalyHold, "held", $"{level}:{found.OwnerId}", DetectorActor, now, null, data.ToJsonString(), cancellationToken);
        }
        return await Committed(change, cancellationToken, wrote: true);
    }

    private static async Task<bool> Committed(TenantChange change, CancellationToken cancellationToken, bool wrote)
    {
        await change.CommitAsync(cancellationToken);
        return wrote;
    }

    /// <summary>
    /// The copy of the hold the hot path reads: on the subject's row (created for a person nobody placed, which also
    /// makes the tenant's requests read subject rows) or the department's (cached per process: the version moves on).
    /// </summary>
    private static async Task SetOwnerHoldAsync(TenantChange change, string tenantId, QuotaLevel level, string ownerId, AnomalyHold? hold, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var json = hold is null ? null : (hold.FallbackClass is null ? new JsonObject() : new JsonObject { ["fallbackClass"] = hold.FallbackClass }).ToJsonString();
        if (level == QuotaLevel.Department)
        {
            await change.ExecuteAsync("UPDATE departments SET hold = $3::jsonb WHERE tenant_id = $1 AND id = $2", cancellationToken, tenantId, ownerId, json);
            await change.BumpVersionAsync(now, cancellationToken);
            return;
        }
        var firstOfTenant = await change.ScalarAsync("SELECT 1 FROM subjects WHERE tenant_id = $1 LIMIT 1", cancellationToken, tenantId) is null;
        await change.ExecuteAsync("""
            INSERT INTO subjects (tenant_id, subject_id, department_id, overrides, models, updated_at, hold) VALUES ($1, $2, NULL, '{}'::jsonb, NULL, $4, $3::jsonb)
            ON CONFLICT (tenant_id, subject_id) DO UPDATE SET hold = EXCLUDED.hold
            """, cancellationToken, tenantId, ownerId, json, now);
        if (firstOfTenant) await change.BumpVersionAsync(now, cancellationToken);
    }

    /// <summary>alert.anomaly's data: the alert fields of the contract with observed, expected and action (amounts as the wire shows them).</summary>
    private JsonObject EventData(AnomalyPolicy policy, FoundSpike found, AnomalyAction action)
    {
        var data = new JsonObject { ["level"] = found.Level.ToWireName(), ["ownerId"] = found.OwnerId };
        if (matrix.TryGetClass(policy.Metric, out _)) data["operationClass"] = policy.Metric;
        else data["unit"] = policy.Metric;
        decimal Wire(decimal amount) => decimal.Round(AnomalyPolicies.ToWire(policy.Metric, amount), 6);
        data["observed"] = Wire(found.Spike.Observed);
        data["expected"] = Wire(found.Spike.Expected);
        data["threshold"] = Wire(found.Spike.Threshold);
        data["sensitivity"] = policy.Sensitivity;
        data["windowStart"] = found.Hour.UtcDateTime;
        data["windowEnd"] = found.Hour.AddHours(1).UtcDateTime;
        data["action"] = AnomalyPolicies.Name(action);
        if (action == AnomalyAction.Degrade) data["fallbackClass"] = policy.FallbackClass;
        return data;
    }
}
