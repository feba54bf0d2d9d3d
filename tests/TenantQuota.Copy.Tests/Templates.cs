using NodaTime;
using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Copy.Tests;

/// <summary>The product's matrix and templates as built beside the tests, and answers to render with them.</summary>
public static class Templates
{
    public static readonly QuotaMatrix Matrix = QuotaMatrixParser.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", "quota-matrix.yaml")));

    public static readonly Lazy<QuotaCopy> Product = new(() => QuotaCopy.Load(Path.Combine(AppContext.BaseDirectory, "templates"), Matrix));

    public static readonly DateTimeZone Madrid = DateTimeZoneProviders.Tzdb["Europe/Madrid"];

    /// <summary>An answer for <paramref name="tier"/>/<paramref name="operationClass"/> at <paramref name="used"/>, now being
    /// <paramref name="now"/> in Madrid, whose window ends at the next local midnight (daily) unless <paramref name="resetsAt"/> says otherwise.</summary>
    public static CopySituation Situation(QuotaStage stage, string tier, string operationClass, long used, LocalDateTime now,
        long requested = 1, long billable = 0, bool denied = false, LocalDateTime? resetsAt = null) =>
        new(stage, tier, operationClass, Matrix.Cell(tier, operationClass), requested, used, billable, denied,
            now.InZoneLeniently(Madrid).ToInstant(), (resetsAt ?? now.Date.PlusDays(1).AtMidnight()).InZoneLeniently(Madrid), "https://app.example/upgrade");
}
