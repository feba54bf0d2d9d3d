using Npgsql;

namespace TenantQuota.Data.EndUser;

/// <summary>What the copy did for one class over a period: read from the usage records (what the server said) and ux_events (what the user did).</summary>
public sealed record ClassUxMetrics(
    string OperationClass, long Subjects, long SubjectsPastSoftLimit, long SubjectsAtHardLimit, long NudgesShown, long SoftLimitHits,
    long HardLimitHits, long Stops, long StoppedWithin60Seconds, long BannersShown, long BannersDismissed, long UpgradeClicks);

/// <summary>
/// ux_events, and the experience metrics of a tenant. The server's side needs no events of its own: a
/// usage record keeps the count before it, its quantity, its cell and whether it was refused, so nudges
/// shown, soft and hard limit hits and stops are read from them; what end users did with a message
/// (shown, dismissed, upgrade clicked) is reported by the meter or the product into ux_events.
/// </summary>
public sealed class UxEvents(NpgsqlDataSource db)
{
    public static readonly string[] Types = ["banner_shown", "banner_dismissed", "upgrade_clicked"];

    public async Task RecordAsync(string tenantId, string subjectId, string operationClass, string type, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO ux_events (tenant_id, subject_id, operation_class, type, occurred_at) VALUES ($1, $2, $3, $4, $5)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subjectId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = operationClass });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = type });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // Per class, over the tenant's consumes in [from, to): a "stop" is a consume refused at the wall (or for want of
    // what is left); it "stopped the session" when the subject sent no other consume in the 60 s after it.
    private const string ServerSql = """
        SELECT r.operation_class,
               count(DISTINCT r.subject_id),
               count(DISTINCT r.subject_id) FILTER (WHERE r.recorded AND r.used_before + r.quantity > r.soft_limit),
               count(DISTINCT r.subject_id) FILTER (WHERE NOT r.recorded OR r.used_before + r.quantity >= r.hard_limit),
               count(*) FILTER (WHERE r.recorded AND r.used_before + r.quantity >= greatest(1, ceil(r.hard_limit * $4::numeric))
                                  AND r.used_before + r.quantity <= r.soft_limit AND r.used_before + r.quantity < r.hard_limit
                                  AND r.used_before + r.quantity < greatest(1, ceil(r.hard_limit * $5::numeric))),
               count(*) FILTER (WHERE r.recorded AND r.used_before <= r.soft_limit AND r.used_before + r.quantity > r.soft_limit),
               count(*) FILTER (WHERE NOT r.recorded OR (r.used_before < r.hard_limit AND r.used_before + r.quantity >= r.hard_limit)),
               count(*) FILTER (WHERE NOT r.recorded),
               count(*) FILTER (WHERE NOT r.recorded AND NOT EXISTS (
                   SELECT 1 FROM usage_records n
                    WHERE n.tenant_id = r.tenant_id AND n.subject_id = r.subject_id AND n.id <> r.id
                      AND n.created_at > r.created_at AND n.created_at <= r.created_at + interval '60 seconds'))
          FROM usage_records r
         WHERE r.tenant_id = $1 AND r.created_at >= $2 AND r.created_at < $3
         GROUP BY r.operation_class
        """;

    private const string ClientSql = """
        SELECT operation_class, type, count(*) FROM ux_events
         WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3
         GROUP BY operation_class, type
        """;

    /// <summary>Per class with any consume or event in [from, to); <paramref name="nudgeAt"/> and <paramref name="finalWarningAt"/> are the stage thresholds in force.</summary>
    public async Task<IReadOnlyList<ClassUxMetrics>> MetricsAsync(string tenantId, DateTimeOffset from, DateTimeOffset to, double nudgeAt, double finalWarningAt,
        CancellationToken cancellationToken)
    {
        var server = new Dictionary<string, long[]>(StringComparer.Ordinal);
        await using (var command = db.CreateCommand(ServerSql))
        {
            AddRange(command, tenantId, from, to);
            command.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = (decimal)nudgeAt });
            command.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = (decimal)finalWarningAt });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                server[reader.GetString(0)] = Enumerable.Range(1, 8).Select(reader.GetInt64).ToArray();
        }
        var client = new Dictionary<(string Class, string Type), long>();
        await using (var command = db.CreateCommand(ClientSql))
        {
            AddRange(command, tenantId, from, to);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) client[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }
        return server.Keys.Union(client.Keys.Select(k => k.Class)).Order(StringComparer.Ordinal).Select(c =>
        {
            var s = server.GetValueOrDefault(c) ?? new long[8];
            return new ClassUxMetrics(c, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
                client.GetValueOrDefault((c, "banner_shown")), client.GetValueOrDefault((c, "banner_dismissed")), client.GetValueOrDefault((c, "upgrade_clicked")));
        }).ToList();
    }

    private static void AddRange(NpgsqlCommand command, string tenantId, DateTimeOffset from, DateTimeOffset to)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = from });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = to });
    }
}
