using Npgsql;
using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Worker.Tests;

/// <summary>
/// QuotaRules.Decide is the rule for what is billable; tq_consume needs the number inside its own
/// transaction, where used_before is first known, and computes it with tq_overage_billable. The two
/// must agree on every cell and usage.
/// </summary>
[Collection(BillingPipelineCollection.Name)]
public sealed class OverageBillingAgreementTests(BillingPipeline pipeline)
{
    [Fact]
    public async Task Sql_billable_quantity_agrees_with_the_domain_rules_for_every_action_usage_and_quantity()
    {
        var cases = (
            from action in Enum.GetValues<OverQuotaAction>()
            from hard in new long[] { 1, 10, 400 }
            from usedBefore in new long[] { 0, 1, 7, 9, 10, 11, 25, 399, 400, 401, 1000 }
            from quantity in new long[] { 1, 2, 3, 10, 400 }
            let cell = new QuotaCell(SoftLimit: hard / 2, HardLimit: hard, ResetCadence.Daily, action, action == OverQuotaAction.Degrade ? "summaries" : null)
            select (cell, usedBefore, quantity, outcome: QuotaRules.Decide(cell, usedBefore, quantity))).ToList();

        await using var command = pipeline.Database.DataSource.CreateCommand("""
            SELECT tq_overage_billable(a, h, u, q, r) AS billable
              FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::boolean[]) WITH ORDINALITY AS c (a, h, u, q, r, n)
             ORDER BY n
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = cases.Select(c => c.cell.OverQuota.ToWireName()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = cases.Select(c => c.cell.HardLimit).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = cases.Select(c => c.usedBefore).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = cases.Select(c => c.quantity).ToArray() });
        // tq_consume records exactly what the rules admit (the endpoint checks Allowed == Recorded on every consume).
        command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = cases.Select(c => c.outcome.Allowed).ToArray() });
        var sql = new List<long>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) sql.Add(reader.GetInt64(0));

        var disagreements = cases.Zip(sql)
            .Where(pair => pair.First.outcome.BillableQuantity != pair.Second)
            .Select(pair => $"{pair.First.cell.OverQuota} hard {pair.First.cell.HardLimit} used {pair.First.usedBefore} +{pair.First.quantity}: rules {pair.First.outcome.BillableQuantity}, SQL {pair.Second}")
            .ToList();
        Assert.Equal(cases.Count, sql.Count);
        Assert.Empty(disagreements);
        Assert.Contains(cases, c => c.outcome.BillableQuantity > 0); // the grid does reach billable overage
    }
}
