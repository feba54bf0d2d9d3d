using System.Data;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using TenantQuota.Domain.Governance;

namespace TenantQuota.Data.Governance;

/// <summary>One of the tenant's events (an alert, a report), as the alert list shows it and a webhook delivers it.</summary>
public sealed record TenantEvent(string Id, string Type, DateTimeOffset CreatedAt, string TenantId, JsonNode Data);

/// <summary>tenant_events, as the tenant reads them.</summary>
public sealed class TenantEvents(NpgsqlDataSource db)
{
    /// <summary>
    /// The tenant's events newest first: in [from, to) where given, of the types <paramref name="pattern"/> matches
    /// (<see cref="WebhookEvents.Matches"/>) where given.
    /// </summary>
    public async Task<IReadOnlyList<TenantEvent>> ReadAsync(string tenantId, DateTimeOffset? from, DateTimeOffset? to, string? pattern, int limit,
        CancellationToken cancellationToken)
    {
        // The pattern becomes the types it matches, so that Matches stays the one definition of what a pattern means.
        var types = pattern is null ? null : WebhookEvents.Types.Where(type => WebhookEvents.Matches(pattern, type)).ToArray();
        await using var command = db.CreateCommand("""
            SELECT id, type, created_at, data::text AS data FROM tenant_events
             WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3)
               AND ($4::text[] IS NULL OR type = ANY ($4))
             ORDER BY created_at DESC, id DESC LIMIT $5
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)from ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)to ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)types ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var events = new List<TenantEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            events.Add(new TenantEvent(reader.GetString("id"), reader.GetString("type"), reader.GetFieldValue<DateTimeOffset>("created_at"), tenantId,
                JsonNode.Parse(reader.GetString("data"))!));
        return events;
    }
}
