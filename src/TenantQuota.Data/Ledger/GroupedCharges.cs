using Npgsql;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Data;

/// <summary>
/// Consumes and reserves that arrive together, charged in one transaction (group commit, docs/decisions/0016): two
/// round trips, the second ending in the commit, for the whole group instead of one function call each. The database stays the
/// arbiter: every counter the group touches is locked first (in tq_apply_lines' global order, so a group and
/// a single charge never wait on each other in a cycle), each charge is then decided in arrival order
/// against the locked counts by the same ceiling rule tq_apply_lines applies, and the counters, usage
/// records, billing outbox rows and reservations are written before the one commit; no caller hears an answer
/// before it. A consume changes what counters have used, a reserve what they hold, exactly as tq_charge does.
/// Only charges over calendar counters without burst are grouped; anything a group cannot answer
/// (a key used before, a key twice in the group) is answered alone, by tq_charge, once the group is committed,
/// and a group that fails on the database as a whole is run again, then alone, item by item, so one bad
/// item never fails the others.
/// </summary>
internal sealed class GroupedCharges(NpgsqlDataSource db)
{
    /// <summary>Whether a charge can be grouped: a consume or reserve over calendar counters without burst allowances.</summary>
    public static bool Fits(ChargeCommand charge) => charge.Lines.All(l => !l.Window.IsRolling && l.Burst is null);

    /// <summary>Per charge, its result, or null: charge it alone (tq_charge), now that this group is committed.</summary>
    public async Task<IReadOnlyList<ChargeResult?>> ChargeAsync(IReadOnlyList<ChargeCommand> charges, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            try
            {
                return await ChargeOnceAsync(charges, cancellationToken);
            }
            // A key raced by another transaction that committed first (found as used on the next attempt), or a
            // deadlock with a request whose department changed under it: the group rolled back whole; run it again.
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected
                                              && attempt < MaxAttempts)
            {
            }
            catch (PostgresException)
            {
                break;
            }
        }
        return new ChargeResult?[charges.Count];
    }

    private const int MaxAttempts = 3;

    private async Task<IReadOnlyList<ChargeResult?>> ChargeOnceAsync(IReadOnlyList<ChargeCommand> charges, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        try
        {
            return await ChargeInTransactionAsync(connection, charges, cancellationToken);
        }
        catch
        {
            await RollBackAsync(connection);
            throw;
        }
    }

    // The transaction is begun and committed in SQL, inside the batches, so that the commit costs no round trip of its own.
    private static async Task<IReadOnlyList<ChargeResult?>> ChargeInTransactionAsync(NpgsqlConnection connection, IReadOnlyList<ChargeCommand> charges,
        CancellationToken cancellationToken)
    {
        var results = new ChargeResult?[charges.Count];
        var keys = charges.Select(c => c.Lines.Select(l => CounterKey.Of(c.Tenant.Id, l)).ToArray()).ToArray();
        var tenants = charges.Select(c => c.Tenant.Id).Distinct(StringComparer.Ordinal).ToArray();
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        var used = new HashSet<int>();
        var counted = new Dictionary<CounterKey, long>();
        await using (var batch = new NpgsqlBatch(connection))
        {
            batch.BatchCommands.Add(Statement("BEGIN"));
            batch.BatchCommands.Add(Statement(LockTenantsSql, Array(tenants)));
            batch.BatchCommands.Add(Statement(VersionsSql, Array(tenants)));
            batch.BatchCommands.Add(Statement(UsedKeysSql, Array(charges.Select(c => c.Tenant.Id)), Array(charges.Select(c => c.IdempotencyKey)),
                Array(charges.Select(c => c.Reserve))));
            var counters = keys.SelectMany(k => k).Distinct().ToList();
            batch.BatchCommands.Add(Statement(LockCountersSql, Array(counters.Select(k => k.Tenant)), Array(counters.Select(k => k.Level)),
                Array(counters.Select(k => k.Owner)), Array(counters.Select(k => k.Metric)), Array(counters.Select(k => k.WindowStart)),
                Array(counters.Select(k => k.WindowEnd))));
            // The reader starts at the tenant locks: BEGIN has no result set.
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) { }
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) versions[reader.GetString(0)] = reader.GetInt64(1);
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) used.Add((int)reader.GetInt64(0) - 1);
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                counted[new CounterKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetDateTime(4), default)] = reader.GetInt64(5);
        }

        // Each charge in arrival order, against the counts the ones before it left.
        var decided = new List<(int Index, long[] Before, bool Applied)>();
        var changes = new Dictionary<CounterKey, (long Used, long Reserved)>();
        var inGroup = new HashSet<(string, string, bool)>(); // a consume's key and a reserve's are kept apart, as in tq_charge
        for (var i = 0; i < charges.Count; i++)
        {
            var charge = charges[i];
            if (used.Contains(i) || !inGroup.Add((charge.Tenant.Id, charge.IdempotencyKey, charge.Reserve))) continue;
            if (!versions.TryGetValue(charge.Tenant.Id, out var version) || version != charge.Tenant.Version)
            {
                results[i] = new ChargeResult(ChargeOutcome.StaleTenant, null);
                continue;
            }
            var before = keys[i].Select(k => counted[k.Lookup]).ToArray();
            var applied = charge.Lines.Select((line, j) => line.Ceiling is not { } ceiling || before[j] + line.Amount <= ceiling).All(fits => fits);
            if (applied)
                for (var j = 0; j < keys[i].Length; j++)
                {
                    var amount = charge.Lines[j].Amount;
                    counted[keys[i][j].Lookup] += amount;
                    var change = changes.GetValueOrDefault(keys[i][j]);
                    changes[keys[i][j]] = charge.Reserve ? change with { Reserved = change.Reserved + amount } : change with { Used = change.Used + amount };
                }
            decided.Add((i, before, applied));
        }

        // The records, the reservations, the counters and the commit in one round trip: if a statement fails, PostgreSQL
        // skips the rest of the batch, the commit included, and the error reaches us (the caller rolls back). Every
        // result is read, the commit's last, before anyone is answered.
        var consumes = decided.Where(d => !charges[d.Index].Reserve).ToList();
        var reserves = decided.Where(d => charges[d.Index].Reserve).Select(d => (Decided: d, Id: "res_" + Guid.NewGuid().ToString("N"))).ToList();
        var ids = new Dictionary<(string, string), long>();
        await using (var batch = new NpgsqlBatch(connection))
        {
            if (consumes.Count > 0) batch.BatchCommands.Add(InsertRecords(charges, consumes));
            if (reserves.Count > 0) batch.BatchCommands.Add(InsertReservations(charges, reserves));
            if (changes.Count > 0)
                batch.BatchCommands.Add(Statement(AddToCountersSql, Array(changes.Keys.Select(k => k.Tenant)), Array(changes.Keys.Select(k => k.Level)),
                    Array(changes.Keys.Select(k => k.Owner)), Array(changes.Keys.Select(k => k.Metric)), Array(changes.Keys.Select(k => k.WindowStart)),
                    Array(changes.Values.Select(c => c.Used)), Array(changes.Values.Select(c => c.Reserved))));
            batch.BatchCommands.Add(Statement("COMMIT"));
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            if (consumes.Count > 0)
                while (await reader.ReadAsync(cancellationToken)) ids[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
            while (await reader.NextResultAsync(cancellationToken)) { } // to the end: the counters' and the commit's completion
        }

        foreach (var (index, before, applied) in consumes)
        {
            var charge = charges[index];
            var record = new ChargeRecord(ids[(charge.Tenant.Id, charge.IdempotencyKey)].ToString(System.Globalization.CultureInfo.InvariantCulture),
                charge.SubjectId, charge.OperationClass, charge.Quantity, applied, charge.Model, charge.InputTokens, charge.OutputTokens,
                charge.CostMicroUsd, charge.Tenant.Tier, Status: null, ExpiresAt: null, charge.Lines, before, new long[before.Length]);
            results[index] = new ChargeResult(applied ? ChargeOutcome.Recorded : ChargeOutcome.Denied, record);
        }
        foreach (var ((index, before, applied), id) in reserves)
        {
            var charge = charges[index];
            var hold = new ChargeRecord(id, charge.SubjectId, charge.OperationClass, charge.Quantity, Recorded: false, charge.Model, charge.InputTokens,
                charge.OutputTokens, charge.CostMicroUsd, charge.Tenant.Tier, Status: applied ? "held" : "denied", charge.ExpiresAt, charge.Lines, before,
                new long[before.Length]);
            results[index] = new ChargeResult(applied ? ChargeOutcome.Held : ChargeOutcome.Denied, hold);
        }
        return results;
    }

    /// <summary>Ends a transaction a failed statement left open; a broken connection is not pooled again, so its failure is ignored.</summary>
    private static async Task RollBackAsync(NpgsqlConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open) return;
        try
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException)
        {
        }
    }

    private static NpgsqlBatchCommand InsertRecords(IReadOnlyList<ChargeCommand> charges, List<(int Index, long[] Before, bool Applied)> decided)
    {
        var rows = decided.Select(d =>
        {
            var charge = charges[d.Index];
            var subject = charge.Lines.Select((line, j) => (Line: line, Before: d.Before[j])).First(l => l.Line.Level == QuotaLevel.Subject);
            return (Charge: charge, d.Applied, Subject: subject.Line, SubjectBefore: subject.Before,
                Stored: ChargeLines.ToJson(charge.Lines, reserve: false, charge.MatrixVersion, d.Before));
        }).ToList();
        return Statement(InsertRecordsSql,
            Array(rows.Select(r => r.Charge.Tenant.Id)), Array(rows.Select(r => r.Charge.IdempotencyKey)), Array(rows.Select(r => r.Charge.SubjectId)),
            Array(rows.Select(r => r.Charge.OperationClass)), Array(rows.Select(r => r.Charge.Quantity)), Array(rows.Select(r => r.Applied)),
            Array(rows.Select(r => r.SubjectBefore)), Array(rows.Select(r => r.Charge.Tenant.Tier)), Array(rows.Select(r => r.Charge.MatrixVersion)),
            Array(rows.Select(r => r.Subject.Cell.SoftLimit)), Array(rows.Select(r => r.Subject.Cell.HardLimit)),
            Array(rows.Select(r => r.Subject.Cell.OverQuota.ToWireName())), Array(rows.Select(r => r.Subject.Cell.FallbackClass)),
            Array(rows.Select(r => r.Subject.Window.Start.ToDateTimeUtc())), Array(rows.Select(r => r.Subject.Window.End.ToDateTimeUtc())),
            Array(rows.Select(r => r.Charge.Now.ToDateTimeUtc())), Array(rows.Select(r => r.Charge.DepartmentId)), Array(rows.Select(r => r.Charge.Model)),
            Array(rows.Select(r => r.Charge.InputTokens)), Array(rows.Select(r => r.Charge.OutputTokens)), Array(rows.Select(r => r.Charge.CostMicroUsd)),
            Array(rows.Select(r => r.Stored)), Array(rows.Select(r => r.Charge.TraceParent)));
    }

    private static NpgsqlBatchCommand InsertReservations(IReadOnlyList<ChargeCommand> charges,
        List<((int Index, long[] Before, bool Applied) Decided, string Id)> reserves)
    {
        var rows = reserves.Select(r => (Charge: charges[r.Decided.Index], r.Id, Status: r.Decided.Applied ? "held" : "denied",
            Holds: ChargeLines.ToJson(charges[r.Decided.Index].Lines, reserve: true, charges[r.Decided.Index].MatrixVersion, r.Decided.Before))).ToList();
        return Statement(InsertReservationsSql,
            Array(rows.Select(r => r.Charge.Tenant.Id)), Array(rows.Select(r => r.Id)), Array(rows.Select(r => r.Charge.IdempotencyKey)),
            Array(rows.Select(r => r.Charge.SubjectId)), Array(rows.Select(r => r.Charge.OperationClass)), Array(rows.Select(r => r.Charge.Quantity)),
            Array(rows.Select(r => r.Charge.DepartmentId)), Array(rows.Select(r => r.Charge.Model)), Array(rows.Select(r => r.Charge.InputTokens)),
            Array(rows.Select(r => r.Charge.OutputTokens)), Array(rows.Select(r => r.Charge.CostMicroUsd)), Array(rows.Select(r => r.Charge.Tenant.Tier)),
            Array(rows.Select(r => r.Status)), Array(rows.Select(r => r.Holds)), Array(rows.Select(r => r.Charge.Now.ToDateTimeUtc())),
            Array(rows.Select(r => r.Charge.ExpiresAt!.Value.ToDateTimeUtc())));
    }

    private static NpgsqlBatchCommand Statement(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter<T[]> Array<T>(IEnumerable<T> values) => new() { TypedValue = values.ToArray() };

    /// <summary>A counter's key; <see cref="WindowEnd"/> goes with it to create the row and is not part of its identity (<see cref="Lookup"/>).</summary>
    private readonly record struct CounterKey(string Tenant, string Level, string Owner, string Metric, DateTime WindowStart, DateTime WindowEnd)
    {
        public static CounterKey Of(string tenantId, LevelCharge line) =>
            new(tenantId, line.Level.ToWireName(), line.OwnerId, line.Metric, line.Window.Start.ToDateTimeUtc(), line.Window.End.ToDateTimeUtc());

        public CounterKey Lookup => this with { WindowEnd = default };
    }

    // Shared with every charge of the tenant, exclusive for a tier change (as in tq_charge).
    private const string LockTenantsSql = "SELECT pg_advisory_xact_lock_shared(tq_tenant_lock_key(t)) FROM unnest($1::text[]) AS t";

    private const string VersionsSql = "SELECT id, version FROM tenants WHERE id = ANY($1::text[])";

    // A consume's key is looked up among the usage records, a reserve's among the reservations (as tq_charge does).
    private const string UsedKeysSql = """
        SELECT k.ord FROM unnest($1::text[], $2::text[], $3::boolean[]) WITH ORDINALITY AS k (tenant_id, idempotency_key, reserve, ord)
         WHERE CASE WHEN k.reserve
                    THEN EXISTS (SELECT 1 FROM reservations r WHERE r.tenant_id = k.tenant_id AND r.idempotency_key = k.idempotency_key)
                    ELSE EXISTS (SELECT 1 FROM usage_records r WHERE r.tenant_id = k.tenant_id AND r.idempotency_key = k.idempotency_key) END
        """;

    // Creates missing counters and locks every one, in tq_apply_lines' order (tenant, then level tenant → department
    // → subject, owner, metric, window), and answers what each counts (used + reserved). The no-op update is what locks.
    private const string LockCountersSql = """
        INSERT INTO quota_counters AS c (tenant_id, level, owner_id, metric, window_start, window_end, used, reserved)
        SELECT k.tenant_id, k.level, k.owner_id, k.metric, k.window_start, k.window_end, 0, 0
          FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])
               AS k (tenant_id, level, owner_id, metric, window_start, window_end)
         ORDER BY k.tenant_id, CASE k.level WHEN 'tenant' THEN 0 WHEN 'department' THEN 1 ELSE 2 END, k.owner_id, k.metric, k.window_start
        ON CONFLICT ON CONSTRAINT quota_counters_pkey DO UPDATE SET used = c.used
        RETURNING c.tenant_id, c.level, c.owner_id, c.metric, c.window_start, c.used + c.reserved
        """;

    private const string AddToCountersSql = """
        UPDATE quota_counters c SET used = c.used + d.used, reserved = c.reserved + d.reserved
          FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[], $7::bigint[])
               AS d (tenant_id, level, owner_id, metric, window_start, used, reserved)
         WHERE c.tenant_id = d.tenant_id AND c.level = d.level AND c.owner_id = d.owner_id AND c.metric = d.metric AND c.window_start = d.window_start
        """;

    // The usage records, and the billing outbox row of each one's billable part (docs/decisions/0007), as tq_charge writes them.
    private const string InsertRecordsSql = """
        WITH inserted AS (
            INSERT INTO usage_records (tenant_id, idempotency_key, subject_id, operation_class, quantity, recorded, used_before, tier,
                matrix_version, soft_limit, hard_limit, over_quota, fallback_class, window_start, window_end, created_at, department_id,
                model, input_tokens, output_tokens, cost_micro_usd, charges)
            SELECT r.tenant_id, r.idempotency_key, r.subject_id, r.operation_class, r.quantity, r.recorded, r.used_before, r.tier,
                   r.matrix_version, r.soft_limit, r.hard_limit, r.over_quota, r.fallback_class, r.window_start, r.window_end, r.created_at,
                   r.department_id, r.model, r.input_tokens, r.output_tokens, r.cost_micro_usd, r.charges::jsonb
              FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::boolean[], $7::bigint[], $8::text[], $9::text[],
                          $10::bigint[], $11::bigint[], $12::text[], $13::text[], $14::timestamptz[], $15::timestamptz[], $16::timestamptz[],
                          $17::text[], $18::text[], $19::bigint[], $20::bigint[], $21::bigint[], $22::text[])
                   AS r (tenant_id, idempotency_key, subject_id, operation_class, quantity, recorded, used_before, tier, matrix_version,
                         soft_limit, hard_limit, over_quota, fallback_class, window_start, window_end, created_at, department_id, model,
                         input_tokens, output_tokens, cost_micro_usd, charges)
            RETURNING id, tenant_id, idempotency_key, operation_class, quantity, recorded, used_before, hard_limit, over_quota, created_at),
        billed AS (
            INSERT INTO billing_outbox (usage_record_id, tenant_id, operation_class, quantity, occurred_at, trace_parent)
            SELECT i.id, i.tenant_id, i.operation_class, b.part, i.created_at, t.trace_parent
              FROM inserted i
              JOIN unnest($1::text[], $2::text[], $23::text[]) AS t (tenant_id, idempotency_key, trace_parent)
                ON t.tenant_id = i.tenant_id AND t.idempotency_key = i.idempotency_key
             CROSS JOIN LATERAL (SELECT tq_overage_billable(i.over_quota, i.hard_limit, i.used_before, i.quantity, i.recorded) AS part) b
             WHERE b.part > 0)
        SELECT tenant_id, idempotency_key, id FROM inserted
        """;

    // The reservations, held or denied, with their lines as holds (what each counter counted before), as tq_charge writes them.
    private const string InsertReservationsSql = """
        INSERT INTO reservations (tenant_id, id, idempotency_key, subject_id, operation_class, quantity, department_id, model,
            input_tokens, output_tokens, cost_micro_usd, tier, status, holds, created_at, expires_at)
        SELECT r.tenant_id, r.id, r.idempotency_key, r.subject_id, r.operation_class, r.quantity, r.department_id, r.model,
               r.input_tokens, r.output_tokens, r.cost_micro_usd, r.tier, r.status, r.holds::jsonb, r.created_at, r.expires_at
          FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::bigint[],
                      $10::bigint[], $11::bigint[], $12::text[], $13::text[], $14::text[], $15::timestamptz[], $16::timestamptz[])
               AS r (tenant_id, id, idempotency_key, subject_id, operation_class, quantity, department_id, model, input_tokens,
                     output_tokens, cost_micro_usd, tier, status, holds, created_at, expires_at)
        """;
}
