namespace TenantQuota.Data.Tests;

/// <summary>The names C# and SQL share, compared with what a migrated database holds.</summary>
public sealed class LedgerProtocolTests(EmptyDatabase database) : IClassFixture<EmptyDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await DatabaseMigrator.MigrateAsync(database.DataSource);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Knows_exactly_the_outcomes_tq_charge_and_tq_settle_can_answer()
    {
        var charge = await database.Column($"SELECT unnest(enum_range(NULL::{LedgerProtocol.ChargeOutcomeType}))::text");
        var settle = await database.Column($"SELECT unnest(enum_range(NULL::{LedgerProtocol.SettleOutcomeType}))::text");

        Assert.Equal(charge.Order(), LedgerProtocol.ChargeOutcomes.Keys.Order());
        Assert.Equal(Enum.GetValues<ChargeOutcome>().Order(), LedgerProtocol.ChargeOutcomes.Values.Order());
        Assert.Equal(settle.Order(), LedgerProtocol.SettleOutcomes.Keys.Order());
        Assert.Equal(Enum.GetValues<SettleOutcome>().Order(), LedgerProtocol.SettleOutcomes.Values.Order());
    }

    [Fact]
    public async Task Names_the_idempotency_constraints_the_database_enforces()
    {
        var records = await database.Column("SELECT conname::text FROM pg_constraint WHERE contype = 'u' AND conrelid = 'usage_records'::regclass");
        var reservations = await database.Column("SELECT conname::text FROM pg_constraint WHERE contype = 'u' AND conrelid = 'reservations'::regclass");

        Assert.Equal([LedgerProtocol.IdempotencyKeyConstraint], records);
        Assert.Equal([LedgerProtocol.ReservationKeyConstraint], reservations);
    }

    [Fact]
    public async Task Uses_a_counter_level_the_database_accepts()
    {
        var checks = await database.Column(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'c' AND conrelid = 'quota_counters'::regclass");

        Assert.Contains(checks, check => check.Contains("level") && check.Contains($"'{LedgerProtocol.SubjectLevel}'"));
    }

    /// <summary>
    /// API processes of every version since the foundation call tq_consume with these parameters and
    /// read these columns; a rolling deploy keeps them working only while both stay as they are.
    /// </summary>
    [Fact]
    public async Task Keeps_tq_consume_callable_by_processes_of_earlier_versions()
    {
        var signature = await database.Column(
            "SELECT pg_get_function_identity_arguments(p.oid) || ' -> ' || pg_get_function_result(p.oid) FROM pg_proc p WHERE p.proname = 'tq_consume'");

        Assert.Equal(
            "p_tenant_id text, p_tenant_version bigint, p_idempotency_key text, p_subject_id text, p_operation_class text, " +
            "p_quantity bigint, p_ceiling bigint, p_tier text, p_matrix_version text, p_soft_limit bigint, p_hard_limit bigint, " +
            "p_over_quota text, p_fallback_class text, p_window_start timestamp with time zone, p_window_end timestamp with time zone, " +
            "p_now timestamp with time zone -> TABLE(outcome text, record_id bigint, subject_id text, operation_class text, " +
            "quantity bigint, recorded boolean, used_before bigint, tier text, matrix_version text, soft_limit bigint, " +
            "hard_limit bigint, over_quota text, fallback_class text, window_start timestamp with time zone, " +
            "window_end timestamp with time zone)",
            Assert.Single(signature));
    }

    /// <summary>
    /// tq_charge and tq_settle took a last parameter in version 3 (the request's traceparent), with a default, and their
    /// earlier signatures were dropped: processes still passing the earlier arguments call the one function there is.
    /// </summary>
    [Fact]
    public async Task Keeps_one_tq_charge_and_one_tq_settle_whose_trace_parent_may_be_left_out()
    {
        var signatures = await database.Column(
            "SELECT p.proname || '(' || pg_get_function_arguments(p.oid) || ')' FROM pg_proc p WHERE p.proname IN ('tq_charge', 'tq_settle') ORDER BY 1");

        Assert.Equal(2, signatures.Count);
        Assert.All(signatures, s => Assert.EndsWith(", p_trace_parent text DEFAULT NULL::text)", s));
        Assert.Equal(18, signatures[0].Split(", p_").Length); // tq_charge: the 17 of version 2, then p_trace_parent
        Assert.Equal(10, signatures[1].Split(", p_").Length); // tq_settle: the 9 of version 2, then p_trace_parent
    }
}
