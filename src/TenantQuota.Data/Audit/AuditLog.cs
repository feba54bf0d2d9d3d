using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace TenantQuota.Data.Audit;

/// <summary>One change to a tenant's plan or access: what, by whom, when, from what to what.</summary>
public sealed record AuditEntry(string TenantId, string Kind, string Action, string? Target, string Actor, DateTimeOffset At, object? Before, object? After);

/// <summary>An entry as read back, with its id (the paging cursor).</summary>
public sealed record AuditRecord(long Id, string Kind, string Action, string? Target, string Actor, DateTimeOffset At, JsonNode? Before, JsonNode? After);

/// <summary>
/// audit_log: appended in the same transaction as the change it records, where the change has one
/// (a tier change); read newest first, a page at a time. The database refuses UPDATE and DELETE on it.
/// </summary>
public sealed class AuditLog(NpgsqlDataSource db)
{
    public const string Tier = "tier";
    public const string Client = "client";
    public const string AllowedOrigins = "allowed_origins";
    public const string Override = "override";
    public const string Budget = "budget";
    public const string Department = "department";
    /// <summary>A subject's department (membership) and own overrides.</summary>
    public const string Subject = "subject";
    /// <summary>A webhook endpoint of the tenant (never its secret).</summary>
    public const string Webhook = "webhook";
    public const string Report = "report";
    public const string CellAlerts = "cell_alerts";
    public const string AnomalyPolicy = "anomaly_policy";
    /// <summary>A hold the anomaly detector placed (actor anomaly-detector) or an administrator cleared; target is level:owner.</summary>
    public const string AnomalyHold = "anomaly_hold";
    public static readonly string[] Kinds = [Tier, Client, AllowedOrigins, Override, Budget, Department, Subject, Webhook, Report, CellAlerts, AnomalyPolicy, AnomalyHold];

    private const string InsertSql = """
        INSERT INTO audit_log (tenant_id, kind, action, target, actor, at, before, after)
        VALUES (@tenant, @kind, @action, @target, @actor, @at, @before::jsonb, @after::jsonb)
        """;

    /// <summary>Appends inside the EF context's current transaction (the change's own).</summary>
    public static Task AppendAsync(TenantQuotaDb context, AuditEntry entry, CancellationToken cancellationToken) =>
        context.Database.ExecuteSqlRawAsync(InsertSql, Parameters(entry), cancellationToken);

    /// <summary>Appends inside the change's own Npgsql transaction.</summary>
    public static async Task AppendAsync(NpgsqlTransaction transaction, AuditEntry entry, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(InsertSql, transaction.Connection, transaction);
        command.Parameters.AddRange(Parameters(entry));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(InsertSql);
        command.Parameters.AddRange(Parameters(entry));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter[] Parameters(AuditEntry entry) =>
    [
        new("tenant", entry.TenantId), new("kind", entry.Kind), new("action", entry.Action),
        new("target", NpgsqlDbType.Text) { Value = (object?)entry.Target ?? DBNull.Value }, new("actor", entry.Actor), new("at", entry.At),
        new("before", NpgsqlDbType.Text) { Value = Json(entry.Before) }, new("after", NpgsqlDbType.Text) { Value = Json(entry.After) },
    ];

    /// <summary>The tenant's entries newest first: of <paramref name="kind"/> if given, in [from, to), older than the cursor <paramref name="before"/>.</summary>
    public async Task<IReadOnlyList<AuditRecord>> ReadAsync(string tenantId, string? kind, DateTimeOffset? from, DateTimeOffset? to, long? before, int limit,
        CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT id, kind, action, target, actor, at, before::text, after::text FROM audit_log
             WHERE tenant_id = $1 AND ($2::text IS NULL OR kind = $2) AND ($3::timestamptz IS NULL OR at >= $3)
               AND ($4::timestamptz IS NULL OR at < $4) AND ($5::bigint IS NULL OR id < $5)
             ORDER BY id DESC LIMIT $6
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)kind ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)from ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)to ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)before ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var records = new List<AuditRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            records.Add(new AuditRecord(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : JsonNode.Parse(reader.GetString(6)),
                reader.IsDBNull(7) ? null : JsonNode.Parse(reader.GetString(7))));
        return records;
    }

    private static object Json(object? value) => value is null ? DBNull.Value : JsonSerializer.Serialize(value, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
