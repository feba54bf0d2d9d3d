using System.Diagnostics;
using System.Data;
using NodaTime;
using Npgsql;
using NpgsqlTypes;
using TenantQuota.Domain;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Data;

/// <summary>A consume or a reserve: the request, what it uses, and the line of every level it is charged at.</summary>
public sealed record ChargeCommand(
    bool Reserve, TenantSnapshot Tenant, string IdempotencyKey, string SubjectId, string OperationClass, long Quantity,
    string? DepartmentId, string? Model, long? InputTokens, long? OutputTokens, long? CostMicroUsd, string MatrixVersion,
    IReadOnlyList<LevelCharge> Lines, Instant? ExpiresAt, Instant Now)
{
    /// <summary>The request's W3C traceparent, set by the ledger from the caller's activity and kept on the outbox row.</summary>
    public string? TraceParent { get; init; }
}

/// <summary>
/// A charge as stored (a usage record, or a reservation: <paramref name="Id"/> is then its id and
/// <paramref name="Status"/> held, denied, committed, released or expired), with its lines and what each
/// counter held before it.
/// </summary>
public sealed record ChargeRecord(
    string Id, string SubjectId, string OperationClass, long Quantity, bool Recorded, string? Model, long? InputTokens,
    long? OutputTokens, long? CostMicroUsd, string Tier, string? Status, Instant? ExpiresAt, IReadOnlyList<LevelCharge> Lines, IReadOnlyList<long> Before,
    IReadOnlyList<long> BurstBefore);

public sealed record ChargeResult(ChargeOutcome Outcome, ChargeRecord? Record);

/// <summary>Commit (actual amounts per held line, in holds order) or release of a reservation.</summary>
public sealed record SettleCommand(
    bool Commit, string TenantId, string ReservationId, long Quantity, long? InputTokens, long? OutputTokens, long? CostMicroUsd,
    IReadOnlyList<long> Amounts, Instant Now)
{
    public string? TraceParent { get; init; }
}

public sealed record SettleResult(SettleOutcome Outcome, ChargeRecord? Record);

/// <summary>A held reservation as the commit needs it: what it is for and the lines it holds.</summary>
public sealed record HeldReservation(string Id, string SubjectId, string OperationClass, long Quantity, string? Model,
    long? InputTokens, long? OutputTokens, Instant CreatedAt, IReadOnlyList<LevelCharge> Holds);

/// <summary>
/// The counter store: one statement per group of checks that arrive together, one function call (one round trip, one transaction)
/// per consume, reserve, commit or release. Functions/tq_charge.sql and tq_settle.sql are the
/// transactions themselves; tq_apply_lines.sql changes the counters of every level together.
/// </summary>
public sealed class QuotaLedger : IAsyncDisposable
{
    private readonly NpgsqlDataSource _db;
    private readonly GroupRunner<CounterRead, long[]?> _reads;
    private readonly GroupRunner<ChargeCommand, ChargeResult?> _charges;
    private readonly GroupRunner<(string TenantId, string ReservationId), HeldReservation?> _heldReads;

    public QuotaLedger(NpgsqlDataSource db)
    {
        _db = db;
        _reads = new GroupRunner<CounterRead, long[]?>("reads", ReadCountedAsync, lanes: Lanes, maxGroup: 256);
        _charges = new GroupRunner<ChargeCommand, ChargeResult?>("charges", new GroupedCharges(db).ChargeAsync, lanes: Lanes, maxGroup: 256);
        _heldReads = new GroupRunner<(string, string), HeldReservation?>("held", FindReservationsAsync, lanes: Lanes, maxGroup: 256);
    }

    /// <summary>
    /// Groups in flight at once, per kind: two, so that one group runs while the other waits for its commit.
    /// Measured against 4 and 8 (docs/decisions/0016): fewer, bigger groups cost PostgreSQL less per item and
    /// wait less on the rows every request of a budgeted tenant shares.
    /// </summary>
    private const int Lanes = 2;

    public async ValueTask DisposeAsync()
    {
        await _reads.DisposeAsync();
        await _charges.DisposeAsync();
        await _heldReads.DisposeAsync();
    }

    // A window counts every counter row from its first bucket to its current one: one row for a calendar window,
    // the buckets of a rolling one (QuotaWindow.CountsFrom), plus what older buckets still hold (HoldsFrom).
    private const string ReadAllUsedSql = $"""
        SELECT t.version, w.metric,
               COALESCE((SELECT sum(CASE WHEN c.window_start >= w.counts_from THEN c.used ELSE 0 END + c.reserved) FROM quota_counters c
                          WHERE c.tenant_id = t.id AND c.level = '{LedgerProtocol.SubjectLevel}' AND c.owner_id = $2
                            AND c.metric = w.metric AND c.window_start BETWEEN w.holds_from AND w.counts_to), 0)::bigint AS counted
          FROM tenants t
         CROSS JOIN unnest($3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[]) AS w (metric, counts_to, counts_from, holds_from)
         WHERE t.id = $1
        """;

    // Many requests' lines in one statement (GroupRunner): (item, line) says whose line each row is.
    private const string ReadLinesSql = """
        SELECT w.item, w.line, t.version,
               COALESCE((SELECT sum(CASE WHEN c.window_start >= w.counts_from THEN c.used ELSE 0 END + c.reserved) FROM quota_counters c
                          WHERE c.tenant_id = w.tenant_id AND c.level = w.level AND c.owner_id = w.owner_id
                            AND c.metric = w.metric AND c.window_start BETWEEN w.holds_from AND w.counts_to), 0)::bigint AS counted
          FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[])
                    AS w (item, line, tenant_id, level, owner_id, metric, counts_to, counts_from, holds_from)
          JOIN tenants t ON t.id = w.tenant_id
        """;

    private const string ChargeSql = """
        SELECT outcome, id, subject_id, operation_class, quantity, recorded, model, input_tokens, output_tokens, cost_micro_usd,
               tier, status, expires_at, charges::text
          FROM tq_charge($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $17, $18)
        """;

    // Many commits' and releases' reservations in one statement (GroupRunner): ord says whose each row is.
    private const string HeldSql = """
        SELECT k.ord, r.id, r.subject_id, r.operation_class, r.quantity, r.model, r.input_tokens, r.output_tokens, r.created_at, r.holds::text AS holds
          FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k (tenant_id, id, ord)
          JOIN reservations r ON r.tenant_id = k.tenant_id AND r.id = k.id
        """;

    private const string SettleSql = """
        SELECT outcome, id, subject_id, operation_class, quantity, outcome IN ('committed', 'already_committed') AS recorded, model,
               input_tokens, output_tokens, cost_micro_usd, tier, status, expires_at, charges::text
          FROM tq_settle($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """;

    /// <summary>Usage of several classes in their current windows, or null when the tenant snapshot is stale.</summary>
    public async Task<Dictionary<string, long>?> ReadAllUsedAsync(
        TenantSnapshot tenant, string subjectId, IReadOnlyList<(string OperationClass, QuotaWindow Window)> windows, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand(ReadAllUsedSql);
        command.Parameters.Add(new NpgsqlParameter<string>{ TypedValue = tenant.Id });
        command.Parameters.Add(new NpgsqlParameter<string>{ TypedValue = subjectId });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = windows.Select(w => w.OperationClass).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = windows.Select(w => Upper(w.Window)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = windows.Select(w => w.Window.CountsFrom.ToDateTimeUtc()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = windows.Select(w => w.Window.HoldsFrom.ToDateTimeUtc()).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var used = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetInt64("version") != tenant.Version) return null;
            used[reader.GetString("metric")] = reader.GetInt64("counted");
        }
        return used.Count == 0 ? null : used;
    }

    /// <summary>
    /// What each line's counter counts now (used plus held), in line order, or null when the tenant snapshot is
    /// stale. Requests that arrive together are read in one statement.
    /// </summary>
    public Task<long[]?> ReadCountedAsync(TenantSnapshot tenant, IReadOnlyList<LevelCharge> lines, CancellationToken cancellationToken) =>
        _reads.RunAsync(new CounterRead(tenant, lines));

    private async Task<IReadOnlyList<long[]?>> ReadCountedAsync(IReadOnlyList<CounterRead> reads, CancellationToken cancellationToken)
    {
        var rows = reads.SelectMany((read, item) => read.Lines.Select((line, index) => (Item: item, Index: index, Tenant: read.Tenant.Id, Line: line))).ToList();
        await using var command = _db.CreateCommand(ReadLinesSql);
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = rows.Select(r => r.Item).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = rows.Select(r => r.Index).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Tenant).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Line.Level.ToWireName()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Line.OwnerId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Line.Metric).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = rows.Select(r => Upper(r.Line.Window)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = rows.Select(r => r.Line.Window.CountsFrom.ToDateTimeUtc()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = rows.Select(r => r.Line.Window.HoldsFrom.ToDateTimeUtc()).ToArray() });
        var counted = reads.Select(r => new long[r.Lines.Count]).ToArray();
        var found = new int[reads.Count];
        var stale = new bool[reads.Count];
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var item = reader.GetInt32(0);
                if (reader.GetInt64(2) != reads[item].Tenant.Version) stale[item] = true;
                counted[item][reader.GetInt32(1)] = reader.GetInt64(3);
                found[item]++;
            }
        }
        return counted.Select((c, item) => stale[item] || found[item] != c.Length ? null : c).ToArray();
    }

    private sealed record CounterRead(TenantSnapshot Tenant, IReadOnlyList<LevelCharge> Lines);

    /// <summary>
    /// A consume or reserve over every level at once. Plain consumes and reserves that arrive together are charged in one
    /// transaction (GroupedCharges); the rest, and what a group leaves, one tq_charge call each. Two requests racing
    /// with one new key: the loser's transaction fails on the unique key and rolls back whole; on retry it finds the
    /// winner's row.
    /// </summary>
    public async Task<ChargeResult> ChargeAsync(ChargeCommand charge, CancellationToken cancellationToken)
    {
        // Taken here, in the request's flow: a group runs on a lane of its own, outside every request's trace.
        charge = charge with { TraceParent = Activity.Current?.Id };
        return GroupedCharges.Fits(charge) && await _charges.RunAsync(charge) is { } grouped ? grouped : await ChargeAloneAsync(charge, cancellationToken);
    }

    private async Task<ChargeResult> ChargeAloneAsync(ChargeCommand charge, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ChargeOnceAsync(charge, cancellationToken);
            }
            catch (PostgresException e) when (attempt < 3 && e.SqlState == PostgresErrorCodes.UniqueViolation
                                              && e.ConstraintName is LedgerProtocol.IdempotencyKeyConstraint or LedgerProtocol.ReservationKeyConstraint)
            {
            }
        }
    }

    private async Task<ChargeResult> ChargeOnceAsync(ChargeCommand charge, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand(ChargeSql);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = charge.Reserve ? "reserve" : "consume" });
        p.Add(new NpgsqlParameter<string> { TypedValue = charge.Tenant.Id });
        p.Add(new NpgsqlParameter<long> { TypedValue = charge.Tenant.Version });
        p.Add(new NpgsqlParameter<string> { TypedValue = charge.IdempotencyKey });
        p.Add(new NpgsqlParameter<string> { TypedValue = charge.SubjectId });
        p.Add(new NpgsqlParameter<string> { TypedValue = charge.OperationClass });
        p.Add(new NpgsqlParameter<long> { TypedValue = charge.Quantity });
        p.Add(Text(charge.DepartmentId));
        p.Add(Text(charge.Model));
        p.Add(Bigint(charge.InputTokens));
        p.Add(Bigint(charge.OutputTokens));
        p.Add(Bigint(charge.CostMicroUsd));
        p.Add(new NpgsqlParameter<string> { TypedValue = charge.Tenant.Tier });
        p.Add(new NpgsqlParameter<string> { TypedValue = charge.MatrixVersion });
        p.Add(new NpgsqlParameter<string> { TypedValue = ChargeLines.ToJson(charge.Lines, charge.Reserve, charge.MatrixVersion) });
        p.Add(new NpgsqlParameter { Value = charge.ExpiresAt is { } expires ? expires.ToDateTimeUtc() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = charge.Now.ToDateTimeUtc() });
        p.Add(Text(charge.TraceParent));

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var outcome = LedgerProtocol.ChargeOutcomes.TryGetValue(reader.GetString("outcome"), out var known)
            ? known
            : throw new InvalidOperationException($"tq_charge answered an unknown outcome '{reader.GetString("outcome")}'.");
        return new ChargeResult(outcome, outcome == ChargeOutcome.StaleTenant ? null : ReadRecord(reader));
    }

    /// <summary>
    /// A reservation of the tenant with the lines it holds, or null when there is none. Lookups that arrive together
    /// are read in one statement.
    /// </summary>
    public Task<HeldReservation?> FindReservationAsync(string tenantId, string reservationId, CancellationToken cancellationToken) =>
        _heldReads.RunAsync((tenantId, reservationId));

    private async Task<IReadOnlyList<HeldReservation?>> FindReservationsAsync(IReadOnlyList<(string TenantId, string ReservationId)> keys, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand(HeldSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys.Select(k => k.TenantId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys.Select(k => k.ReservationId).ToArray() });
        var held = new HeldReservation?[keys.Count];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            held[(int)reader.GetInt64("ord") - 1] = new HeldReservation(reader.GetString("id"), reader.GetString("subject_id"),
                reader.GetString("operation_class"), reader.GetInt64("quantity"), NullableString(reader, "model"), NullableLong(reader, "input_tokens"),
                NullableLong(reader, "output_tokens"), Utc(reader.GetDateTime("created_at")), ChargeLines.Read(reader.GetString("holds")).Lines);
        return held;
    }

    public async Task<SettleResult> SettleAsync(SettleCommand settle, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand(SettleSql);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = settle.Commit ? "commit" : "release" });
        p.Add(new NpgsqlParameter<string> { TypedValue = settle.TenantId });
        p.Add(new NpgsqlParameter<string> { TypedValue = settle.ReservationId });
        p.Add(new NpgsqlParameter<long> { TypedValue = settle.Quantity });
        p.Add(Bigint(settle.InputTokens));
        p.Add(Bigint(settle.OutputTokens));
        p.Add(Bigint(settle.CostMicroUsd));
        p.Add(new NpgsqlParameter<long[]> { TypedValue = settle.Amounts.ToArray() });
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = settle.Now.ToDateTimeUtc() });
        p.Add(Text(Activity.Current?.Id));

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var outcome = LedgerProtocol.SettleOutcomes.TryGetValue(reader.GetString("outcome"), out var known)
            ? known
            : throw new InvalidOperationException($"tq_settle answered an unknown outcome '{reader.GetString("outcome")}'.");
        return new SettleResult(outcome, outcome == SettleOutcome.NotFound ? null : ReadRecord(reader));
    }

    /// <summary>Frees the holds of up to <paramref name="limit"/> expired reservations of any tenant; answers how many.</summary>
    public async Task<int> ExpireReservationsAsync(Instant now, int limit, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("SELECT tq_expire_reservations($1, $2)");
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.ToDateTimeUtc() });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static ChargeRecord ReadRecord(NpgsqlDataReader reader)
    {
        var (lines, before, burstBefore) = ChargeLines.Read(reader.GetString("charges"));
        return new ChargeRecord(
            Id: reader.GetString("id"),
            SubjectId: reader.GetString("subject_id"),
            OperationClass: reader.GetString("operation_class"),
            Quantity: reader.GetInt64("quantity"),
            Recorded: reader.GetBoolean("recorded"),
            Model: NullableString(reader, "model"),
            InputTokens: NullableLong(reader, "input_tokens"),
            OutputTokens: NullableLong(reader, "output_tokens"),
            CostMicroUsd: NullableLong(reader, "cost_micro_usd"),
            Tier: reader.GetString("tier"),
            Status: NullableString(reader, "status"),
            ExpiresAt: reader.IsDBNull("expires_at") ? null : Utc(reader.GetDateTime("expires_at")),
            Lines: lines,
            Before: before,
            BurstBefore: burstBefore);
    }

    /// <summary>The last bucket a window counts (<see cref="QuotaWindow.CountsTo"/>), as PostgreSQL takes it.</summary>
    internal static DateTime Upper(QuotaWindow window) => window.IsRolling ? DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc) : window.Start.ToDateTimeUtc();

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
    private static NpgsqlParameter Bigint(long? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint };
    private static string? NullableString(NpgsqlDataReader reader, string column) => reader.IsDBNull(column) ? null : reader.GetString(column);
    private static long? NullableLong(NpgsqlDataReader reader, string column) => reader.IsDBNull(column) ? null : reader.GetInt64(column);

    private static Instant Utc(DateTime value) => Instant.FromDateTimeUtc(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
