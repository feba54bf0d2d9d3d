using System.Buffers;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;
using TenantQuota.Domain;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Data;

/// <summary>
/// The JSON lines tq_apply_lines, tq_charge and tq_settle take and store (usage_records.charges,
/// reservations.holds): each level's counter key and change, and the limit that applied to it, so that a
/// stored charge explains itself after budgets or the matrix change.
/// </summary>
public static class ChargeLines
{
    /// <summary>
    /// Lines whose amount changes <c>used</c> (a consume) or <c>reserved</c> (a reserve); with <paramref name="before"/>,
    /// the lines as a charge stores them (what each counter counted before it).
    /// </summary>
    public static string ToJson(IReadOnlyList<LevelCharge> lines, bool reserve, string matrixVersion, IReadOnlyList<long>? before = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * lines.Count);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            for (var i = 0; i < lines.Count; i++)
            {
                var line = lines[i];
                json.WriteStartObject();
                if (before is not null) json.WriteNumber("before", before[i]);
                json.WriteString("level", line.Level.ToWireName());
                json.WriteString("owner", line.OwnerId);
                json.WriteString("metric", line.Metric);
                json.WriteString("unit", line.Unit);
                json.WriteString("windowStart", InstantPattern.ExtendedIso.Format(line.Window.Start));
                json.WriteString("windowEnd", InstantPattern.ExtendedIso.Format(line.Window.End));
                if (line.Window.IsRolling)
                {
                    json.WriteString("countsFrom", InstantPattern.ExtendedIso.Format(line.Window.CountsFrom));
                    json.WriteString("holdsFrom", InstantPattern.ExtendedIso.Format(line.Window.HoldsFrom));
                }
                json.WriteNumber(reserve ? "reserved" : "used", line.Amount);
                if (line.Ceiling is { } ceiling) json.WriteNumber("ceiling", ceiling);
                else json.WriteNull("ceiling");
                json.WriteNumber("softLimit", line.Cell.SoftLimit);
                json.WriteNumber("hardLimit", line.Cell.HardLimit);
                json.WriteString("reset", line.Cell.ResetName);
                if (line.Burst is { } burst)
                {
                    json.WriteStartObject("burst");
                    json.WriteString("metric", line.BurstMetric);
                    json.WriteString("windowStart", InstantPattern.ExtendedIso.Format(burst.Window.Start));
                    json.WriteString("windowEnd", InstantPattern.ExtendedIso.Format(burst.Window.End));
                    json.WriteNumber("limit", burst.Limit);
                    json.WriteEndObject();
                }
                json.WriteString("overQuota", line.Cell.OverQuota.ToWireName());
                json.WriteString("fallbackClass", line.Cell.FallbackClass);
                if (line.FallbackModel is not null) json.WriteString("fallbackModel", line.FallbackModel);
                if (line.ModelRefusedBy is { } by) json.WriteString("modelRefusedBy", by.ToWireName());
                if (line.HeldBy is { } hold)
                {
                    json.WriteString("heldBy", hold.By.ToWireName());
                    if (hold.FallbackClass is not null) json.WriteString("heldFallbackClass", hold.FallbackClass);
                }
                if (line.Level == QuotaLevel.Subject) json.WriteString("matrixVersion", matrixVersion);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Stored lines, what each counter held before the change (<c>before</c>) and what burst counters had used.</summary>
    public static (IReadOnlyList<LevelCharge> Lines, IReadOnlyList<long> Before, IReadOnlyList<long> BurstBefore) Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        var lines = new List<LevelCharge>();
        var before = new List<long>();
        var burstBefore = new List<long>();
        foreach (var line in document.RootElement.EnumerateArray())
        {
            BudgetNames.TryParseLevel(line.GetProperty("level").GetString(), out var level);
            var metric = line.GetProperty("metric").GetString()!;
            var cell = new QuotaCell(
                SoftLimit: line.GetProperty("softLimit").GetInt64(),
                HardLimit: line.GetProperty("hardLimit").GetInt64(),
                // Records from before budgets name no reset; the stored window already says when it ends.
                Reset: ResetCadences.TryParse(String(line, "reset"), out var reset, out var rollingHours) ? reset : ResetCadence.Daily,
                OverQuota: OverQuotaActions.TryParse(line.GetProperty("overQuota").GetString(), out var action) ? action
                    : throw new InvalidOperationException("A stored over-quota action is unknown."),
                FallbackClass: String(line, "fallbackClass"),
                RollingHours: rollingHours);
            BurstAllowance? burst = null;
            if (line.TryGetProperty("burst", out var b) && b.ValueKind == JsonValueKind.Object)
            {
                burst = new BurstAllowance(b.GetProperty("limit").GetInt64(), new QuotaWindow(Instant(b, "windowStart"), Instant(b, "windowEnd")));
                cell = cell with { Burst = burst.Limit };
            }
            var window = new QuotaWindow(Instant(line, "windowStart"), Instant(line, "windowEnd"));
            if (line.TryGetProperty("countsFrom", out _)) window = window with { CountsFrom = Instant(line, "countsFrom") };
            if (line.TryGetProperty("holdsFrom", out _)) window = window with { HoldsFrom = Instant(line, "holdsFrom") };
            var amount = Long(line, "used") + Long(line, "reserved");
            lines.Add(new LevelCharge(level, line.GetProperty("owner").GetString()!, metric, String(line, "unit") ?? metric, cell, window, amount,
                line.TryGetProperty("ceiling", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt64() : null,
                String(line, "fallbackModel"),
                BudgetNames.TryParseLevel(String(line, "modelRefusedBy"), out var refusedBy) ? refusedBy : null, burst,
                BudgetNames.TryParseLevel(String(line, "heldBy"), out var heldBy) ? new AnomalyHold(heldBy, String(line, "heldFallbackClass")) : null));
            before.Add(Long(line, "before"));
            burstBefore.Add(Long(line, "burstBefore"));
        }
        return (lines, before, burstBefore);
    }

    private static string? String(JsonElement line, string name) =>
        line.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long Long(JsonElement line, string name) =>
        line.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;

    // PostgreSQL writes timestamptz into jsonb as "2026-12-01T00:00:00+00:00"; we write "…Z". Both are ISO 8601.
    private static Instant Instant(JsonElement line, string name) =>
        NodaTime.Instant.FromDateTimeOffset(line.GetProperty(name).GetDateTimeOffset());
}
