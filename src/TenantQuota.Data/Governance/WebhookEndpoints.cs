using System.Data;
using System.Security.Cryptography;
using Npgsql;
using TenantQuota.Data.Audit;

namespace TenantQuota.Data.Governance;

/// <summary>A live webhook endpoint as its tenant sees it: everything but the secret.</summary>
public sealed record WebhookEndpoint(string Id, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt);

/// <summary>What a create did: stored the endpoint (the one moment its secret is known), or why not.</summary>
public abstract record WebhookCreation
{
    public sealed record Created(WebhookEndpoint Endpoint, string Secret) : WebhookCreation;

    public sealed record LimitReached : WebhookCreation;

    public sealed record NoSuchTenant : WebhookCreation;
}

/// <summary>
/// webhook_endpoints: where a tenant wants its events. A create or delete and its audit entry commit together;
/// a delete keeps the row (deleted_at), so the history of its deliveries still names it.
/// </summary>
public sealed class WebhookEndpoints(NpgsqlDataSource db, TimeProvider clock)
{
    public const int MaxLivePerTenant = 10;

    /// <summary>Stores a new endpoint with a fresh id and secret; url and events must have been validated.</summary>
    public async Task<WebhookCreation> CreateAsync(string tenantId, string url, IReadOnlyList<string> events, string actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        // PostgreSQL keeps microseconds: the create answer says what a later list will say.
        var endpoint = new WebhookEndpoint(NewId(), url, events, now.AddTicks(-(now.Ticks % 10)));
        var secret = "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The tenant's creates queue on its row, so two at once cannot both take the last place. NO KEY UPDATE, not
        // UPDATE: rows that reference the tenant (usage, reservations) take KEY SHARE on it and are not held up.
        await using (var live = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM webhook_endpoints w WHERE w.tenant_id = t.id AND w.deleted_at IS NULL)
              FROM tenants t WHERE t.id = $1 FOR NO KEY UPDATE OF t
            """, connection, transaction))
        {
            live.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
            switch (await live.ExecuteScalarAsync(cancellationToken))
            {
                case null: return new WebhookCreation.NoSuchTenant();
                case long count when count >= MaxLivePerTenant: return new WebhookCreation.LimitReached();
            }
        }
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO webhook_endpoints (tenant_id, id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)
            """, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = endpoint.Id });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = url });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events] });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = secret });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = endpoint.CreatedAt });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await AuditLog.AppendAsync(transaction, new AuditEntry(tenantId, AuditLog.Webhook, "created", endpoint.Id, actor, endpoint.CreatedAt, null,
            new { url, events }), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new WebhookCreation.Created(endpoint, secret);
    }

    /// <summary>The tenant's live endpoints, oldest first.</summary>
    public async Task<IReadOnlyList<WebhookEndpoint>> ListAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT id, url, events, created_at FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY created_at, id
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
        var endpoints = new List<WebhookEndpoint>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            endpoints.Add(new WebhookEndpoint(reader.GetString("id"), reader.GetString("url"), reader.GetFieldValue<string[]>("events"),
                reader.GetFieldValue<DateTimeOffset>("created_at")));
        return endpoints;
    }

    /// <summary>Marks the tenant's live endpoint deleted; false when the tenant has no such live endpoint.</summary>
    public async Task<bool> DeleteAsync(string tenantId, string id, string actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        object before;
        await using (var delete = new NpgsqlCommand("""
            UPDATE webhook_endpoints SET deleted_at = $3 WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING url, events
            """, connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            delete.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            await using var reader = await delete.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return false;
            before = new { url = reader.GetString("url"), events = reader.GetFieldValue<string[]>("events") };
        }
        await AuditLog.AppendAsync(transaction, new AuditEntry(tenantId, AuditLog.Webhook, "deleted", id, actor, now, before, null), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static string NewId() => "we_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 24);
}
