using System.Data;
using NodaTime;
using Npgsql;
using NpgsqlTypes;
using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Data;

/// <summary>A consume as the ledger records it: the request plus the cell and window that applied.</summary>
public sealed record ConsumeCommand(
    TenantSnapshot Tenant, string IdempotencyKey, string SubjectId, string OperationClass, long Quantity,
    QuotaCell Cell, string MatrixVersion, QuotaWindow Window, Instant Now);

/// <summary>A usage record as stored: what was asked and the cell and usage the answer was based on.</summary>
public sealed record UsageRecord(
    long Id, string SubjectId, string OperationClass, long Quantity, bool Recorded, long UsedBefore,
    string Tier, QuotaCell Cell, QuotaWindow Window);

public sealed record ConsumeResult(ConsumeOutcome Outcome, UsageRecord? Record);

/// <summary>
/// The counter store: one statement per check, one function call (one round trip, one transaction)
/// per consume. Functions/tq_consume.sql is the transaction itself.
/// </summary>
public sealed class QuotaLedger(NpgsqlDataSource db)
{
    private const string ReadUsedSql = $"""
        SELECT t.version, COALESCE(c.used + c.reserved, 0) AS counted
          FROM tenants t
          LEFT JOIN quota_counters c ON c.tenant_id = t.id AND c.level = '{LedgerProtocol.SubjectLevel}' AND c.owner_id = $2
                                    AND c.metric = $3 AND c.window_start = $4
         WHERE t.id = $1
        """;

    private const string ReadAllUsedSql = $"""
        SELECT t.version, w.metric, COALESCE(c.used + c.reserved, 0) AS counted
          FROM tenants t
         CROSS JOIN unnest($3::text[], $4::timestamptz[]) AS w (metric, window_start)
          LEFT JOIN quota_counters c ON c.tenant_id = t.id AND c.level = '{LedgerProtocol.SubjectLevel}' AND c.owner_id = $2
                                    AND c.metric = w.metric AND c.window_start = w.window_start
         WHERE t.id = $1
        """;

    private const string ConsumeSql = """
        SELECT outcome, record_id, subject_id, operation_class, quantity, recorded, used_before, tier,
               matrix_version, soft_limit, hard_limit, over_quota, fallback_class, window_start, window_end
          FROM tq_consume($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
        """;

    /// <summary>What the window counts now (used plus held), or null when the tenant snapshot is stale.</summary>
    public async Task<long?> ReadUsedAsync(TenantSnapshot tenant, string subjectId, string operationClass, Instant windowStart, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(ReadUsedSql);
        command.Parameters.Add(new NpgsqlParameter<string>{ TypedValue = tenant.Id });
        command.Parameters.Add(new NpgsqlParameter<string>{ TypedValue = subjectId });
        command.Parameters.Add(new NpgsqlParameter<string>{ TypedValue = operationClass });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = windowStart.ToDateTimeUtc() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.GetInt64("version") != tenant.Version) return null;
        return reader.GetInt64("counted");
    }

    /// <summary>Usage of several classes in their current windows, or null when the tenant snapshot is stale.</summary>
    public async Task<Dictionary<string, long>?> ReadAllUsedAsync(
        TenantSnapshot tenant, string subjectId, IReadOnlyList<(string OperationClass, Instant WindowStart)> windows, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(ReadAllUsedSql);
        command.Parameters.Add(new NpgsqlParameter<string>{ TypedValue = tenant.Id });
        command.Parameters.Add(new NpgsqlParameter<string>{ TypedValue = subjectId });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = windows.Select(w => w.OperationClass).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = windows.Select(w => w.WindowStart.ToDateTimeUtc()).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var used = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetInt64("version") != tenant.Version) return null;
            used[reader.GetString("metric")] = reader.GetInt64("counted");
        }
        return used.Count == 0 ? null : used;
    }

    public async Task<ConsumeResult> ConsumeAsync(ConsumeCommand consume, CancellationToken cancellationToken)
    {
        // Two requests racing with one new key: the loser's transaction fails on the unique key and
        // rolls back whole; on retry it finds the winner's record. Anything else is not retried here.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ConsumeOnceAsync(consume, cancellationToken);
            }
            catch (PostgresException e) when (attempt < 3 && e.SqlState == PostgresErrorCodes.UniqueViolation
                                              && e.ConstraintName == LedgerProtocol.IdempotencyKeyConstraint)
            {
            }
        }
    }

    private async Task<ConsumeResult> ConsumeOnceAsync(ConsumeCommand consume, CancellationToken cancellationToken)
    {
        var cell = consume.Cell;
        await using var command = db.CreateCommand(ConsumeSql);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = consume.Tenant.Id });
        p.Add(new NpgsqlParameter<long> { TypedValue = consume.Tenant.Version });
        p.Add(new NpgsqlParameter<string> { TypedValue = consume.IdempotencyKey });
        p.Add(new NpgsqlParameter<string> { TypedValue = consume.SubjectId });
        p.Add(new NpgsqlParameter<string> { TypedValue = consume.OperationClass });
        p.Add(new NpgsqlParameter<long> { TypedValue = consume.Quantity });
        p.Add(new NpgsqlParameter { Value = (object?)QuotaRules.AdmissionCeiling(cell) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter<string> { TypedValue = consume.Tenant.Tier });
        p.Add(new NpgsqlParameter<string> { TypedValue = consume.MatrixVersion });
        p.Add(new NpgsqlParameter<long> { TypedValue = cell.SoftLimit });
        p.Add(new NpgsqlParameter<long> { TypedValue = cell.HardLimit });
        p.Add(new NpgsqlParameter<string> { TypedValue = cell.OverQuota.ToWireName() });
        p.Add(new NpgsqlParameter { Value = (object?)cell.FallbackClass ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = consume.Window.Start.ToDateTimeUtc() });
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = consume.Window.End.ToDateTimeUtc() });
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = consume.Now.ToDateTimeUtc() });

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var outcome = LedgerProtocol.ConsumeOutcomes.TryGetValue(reader.GetString("outcome"), out var known)
            ? known
            : throw new InvalidOperationException($"tq_consume answered an unknown outcome '{reader.GetString("outcome")}'.");
        if (outcome == ConsumeOutcome.StaleTenant) return new ConsumeResult(outcome, null);

        var storedCell = new QuotaCell(
            SoftLimit: reader.GetInt64("soft_limit"),
            HardLimit: reader.GetInt64("hard_limit"),
            // The cadence is implied by the stored window; decisions do not depend on it.
            Reset: cell.Reset,
            OverQuota: OverQuotaActions.TryParse(reader.GetString("over_quota"), out var action) ? action : throw new InvalidOperationException("Stored over-quota action is unknown."),
            FallbackClass: reader.IsDBNull("fallback_class") ? null : reader.GetString("fallback_class"));
        var record = new UsageRecord(
            Id: reader.GetInt64("record_id"),
            SubjectId: reader.GetString("subject_id"),
            OperationClass: reader.GetString("operation_class"),
            Quantity: reader.GetInt64("quantity"),
            Recorded: reader.GetBoolean("recorded"),
            UsedBefore: reader.GetInt64("used_before"),
            Tier: reader.GetString("tier"),
            Cell: storedCell,
            Window: new QuotaWindow(Utc(reader.GetDateTime("window_start")), Utc(reader.GetDateTime("window_end"))));
        return new ConsumeResult(outcome, record);
    }

    private static Instant Utc(DateTime value) => Instant.FromDateTimeUtc(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
