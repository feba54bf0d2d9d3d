namespace TenantQuota.Domain.Matrix;

/// <summary>
/// A tenant's (or later a subject's) replacement of some fields of a class's cells, in every tier: an
/// enterprise deal that raises a limit or bills overage where the tier blocks. Fields left null keep the
/// tier's. The reset cadence is not overridable: a change would need the windows re-counted.
/// </summary>
public sealed record CellOverride(long? SoftLimit, long? HardLimit, OverQuotaAction? OverQuota, string? FallbackClass)
{
    public QuotaCell ApplyTo(QuotaCell cell)
    {
        var action = OverQuota ?? cell.OverQuota;
        var fallback = action == OverQuotaAction.Degrade ? FallbackClass ?? cell.FallbackClass : null;
        return cell with { SoftLimit = SoftLimit ?? cell.SoftLimit, HardLimit = HardLimit ?? cell.HardLimit, OverQuota = action, FallbackClass = fallback };
    }
}

public static class CellOverrides
{
    /// <summary>
    /// <paramref name="narrower"/> on top of <paramref name="wider"/> (a subject's own over its tenant's deal): per class,
    /// each field the narrower gives wins, the rest stay the wider's.
    /// </summary>
    public static IReadOnlyDictionary<string, CellOverride> Then(this IReadOnlyDictionary<string, CellOverride> wider, IReadOnlyDictionary<string, CellOverride> narrower)
    {
        var merged = new Dictionary<string, CellOverride>(wider, StringComparer.Ordinal);
        foreach (var (name, own) in narrower)
            merged[name] = merged.TryGetValue(name, out var w)
                ? new CellOverride(own.SoftLimit ?? w.SoftLimit, own.HardLimit ?? w.HardLimit, own.OverQuota ?? w.OverQuota, own.FallbackClass ?? w.FallbackClass)
                : own;
        return merged;
    }

    /// <summary>The tier's cell for the class, with the class's override applied if there is one.</summary>
    public static QuotaCell Cell(this QuotaMatrix matrix, string tier, string operationClass, IReadOnlyDictionary<string, CellOverride> overrides) =>
        overrides.TryGetValue(operationClass, out var o) ? o.ApplyTo(matrix.Cell(tier, operationClass)) : matrix.Cell(tier, operationClass);
}
