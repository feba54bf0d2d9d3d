namespace TenantQuota.Data.Tests;

/// <summary>The names C# and SQL share, compared with what a migrated database holds.</summary>
public sealed class LedgerProtocolTests(EmptyDatabase database) : IClassFixture<EmptyDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await DatabaseMigrator.MigrateAsync(database.DataSource);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Knows_exactly_the_outcomes_tq_consume_can_answer()
    {
        var sql = await database.Column($"SELECT unnest(enum_range(NULL::{LedgerProtocol.ConsumeOutcomeType}))::text");

        Assert.Equal(sql.Order(), LedgerProtocol.ConsumeOutcomes.Keys.Order());
        Assert.Equal(Enum.GetValues<ConsumeOutcome>().Order(), LedgerProtocol.ConsumeOutcomes.Values.Order());
    }

    [Fact]
    public async Task Names_the_idempotency_constraint_the_database_enforces()
    {
        var unique = await database.Column("SELECT conname::text FROM pg_constraint WHERE contype = 'u' AND conrelid = 'usage_records'::regclass");

        Assert.Equal([LedgerProtocol.IdempotencyKeyConstraint], unique);
    }

    [Fact]
    public async Task Uses_a_counter_level_the_database_accepts()
    {
        var checks = await database.Column(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'c' AND conrelid = 'quota_counters'::regclass");

        Assert.Contains(checks, check => check.Contains("level") && check.Contains($"'{LedgerProtocol.SubjectLevel}'"));
    }
}
