using System.Data;
using Npgsql;
using NpgsqlTypes;
using TenantQuota.Domain.Governance;

namespace TenantQuota.Data.Governance;

/// <summary>The sums over all of a period's records: Records is how many there were.</summary>
public sealed record ChargebackTotals(long Quantity, long InputTokens, long OutputTokens, decimal Usd, long Records);

public sealed record ChargebackStatement(IReadOnlyList<ChargebackRow> Rows, ChargebackTotals Totals);

/// <summary>usage_records summed for a chargeback: what each person used, by department, class and model.</summary>
public sealed class Chargeback(NpgsqlDataSource db)
{
    /// <summary>
    /// The tenant's records in [from, to), one row per (department, subject, class, model), ordered by those with
    /// nulls last, and their totals. A denied consume is kept (recorded = false) only to answer its replay: it used
    /// nothing, so it is left out.
    /// </summary>
    public async Task<ChargebackStatement> ReadAsync(string tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        // The empty grouping set adds the grand total, summed from the records themselves in the same scan, so the
        // totals cannot drift from the rows. Money is summed in whole micro-dollars and made dollars once, in C#.
        // COLLATE "C" orders by bytes, whatever the database's locale.
        await using var command = db.CreateCommand("""
            SELECT GROUPING(department_id, subject_id, operation_class, model) <> 0 AS is_total,
                   department_id, subject_id, operation_class, model,
                   sum(quantity)::bigint AS quantity,
                   coalesce(sum(input_tokens), 0)::bigint AS input_tokens,
                   coalesce(sum(output_tokens), 0)::bigint AS output_tokens,
                   coalesce(sum(cost_micro_usd), 0)::bigint AS cost_micro_usd,
                   count(*) AS records
              FROM usage_records
             WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 AND recorded
             GROUP BY GROUPING SETS ((department_id, subject_id, operation_class, model), ())
             ORDER BY is_total, department_id COLLATE "C" NULLS LAST, subject_id COLLATE "C", operation_class COLLATE "C",
                      model COLLATE "C" NULLS LAST
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = from, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = to, NpgsqlDbType = NpgsqlDbType.TimestampTz });

        var rows = new List<ChargebackRow>();
        var totals = new ChargebackTotals(0, 0, 0, 0m, 0);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            long Sum(string column) => reader.IsDBNull(column) ? 0 : reader.GetInt64(column);
            var usd = Sum("cost_micro_usd") / 1_000_000m;
            if (reader.GetBoolean("is_total"))
                totals = new ChargebackTotals(Sum("quantity"), Sum("input_tokens"), Sum("output_tokens"), usd, reader.GetInt64("records"));
            else
                rows.Add(new ChargebackRow(Text(reader, "department_id"), reader.GetString("subject_id"), reader.GetString("operation_class"),
                    Text(reader, "model"), Sum("quantity"), Sum("input_tokens"), Sum("output_tokens"), usd));
        }
        return new ChargebackStatement(rows, totals);
    }

    private static string? Text(NpgsqlDataReader reader, string column) => reader.IsDBNull(column) ? null : reader.GetString(column);
}
