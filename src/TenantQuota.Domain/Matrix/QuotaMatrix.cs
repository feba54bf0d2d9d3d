namespace TenantQuota.Domain.Matrix;

/// <summary>An operation class: what an operation feels like to the user (summaries, drafts, ...).</summary>
public sealed record OperationClass(string Name, string Unit, string DisplayName);

/// <summary>
/// One tier × class cell of the matrix. <paramref name="RollingHours"/> is the length of a rolling
/// <paramref name="Reset"/> (0 for calendar ones). <paramref name="Burst"/> extra units may be used past the hard
/// limit at most once per window (see <see cref="QuotaRules"/>).
/// </summary>
public sealed record QuotaCell(
    long SoftLimit,
    long HardLimit,
    ResetCadence Reset,
    OverQuotaAction OverQuota,
    string? FallbackClass,
    int RollingHours = 0,
    long Burst = 0)
{
    /// <summary>The window of this cell's period that contains <paramref name="now"/>.</summary>
    public QuotaWindow WindowAt(NodaTime.Instant now, NodaTime.DateTimeZone zone) => QuotaWindow.Containing(now, Reset, zone, RollingHours);

    /// <summary>
    /// The window the burst allowance is counted in: the cell's own for a calendar period; for a rolling period,
    /// fixed periods of the same length from the Unix epoch (usage leaves a rolling window bit by bit, the burst
    /// allowance comes back only once a whole period has passed). Null without a burst allowance.
    /// </summary>
    public QuotaWindow? BurstWindowAt(NodaTime.Instant now, NodaTime.DateTimeZone zone)
    {
        if (Burst == 0) return null;
        if (Reset != ResetCadence.Rolling) return WindowAt(now, zone);
        var length = NodaTime.Duration.FromHours(RollingHours).BclCompatibleTicks;
        var start = NodaTime.Instant.FromUnixTimeTicks(now.ToUnixTimeTicks() - now.ToUnixTimeTicks() % length);
        return new QuotaWindow(start, start + NodaTime.Duration.FromTicks(length));
    }

    /// <summary>The reset as the wire and the matrix file write it: "daily", "rolling:5h".</summary>
    public string ResetName => Reset.ToWireName(RollingHours);
}

/// <summary>
/// The validated quota matrix: every tier has a cell for every operation class.
/// Built only by <see cref="QuotaMatrixParser"/>, so an instance is always complete and consistent.
/// </summary>
public sealed class QuotaMatrix
{
    private readonly Dictionary<string, OperationClass> _classes;
    private readonly Dictionary<(string Tier, string Class), QuotaCell> _cells;

    internal QuotaMatrix(
        string version,
        IReadOnlyList<string> tiers,
        IReadOnlyList<OperationClass> operationClasses,
        Dictionary<(string Tier, string Class), QuotaCell> cells,
        IReadOnlyDictionary<string, IReadOnlyList<string>> modelsByTier)
    {
        ModelsByTier = modelsByTier;
        Version = version;
        Tiers = tiers;
        OperationClasses = operationClasses;
        _classes = operationClasses.ToDictionary(c => c.Name, StringComparer.Ordinal);
        _cells = cells;
    }

    public string Version { get; }
    public IReadOnlyList<string> Tiers { get; }
    public IReadOnlyList<OperationClass> OperationClasses { get; }

    /// <summary>The models each listed tier may call; a tier not listed may call any priced model.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ModelsByTier { get; }

    /// <summary>The models a tier may call, or null for any.</summary>
    public IReadOnlyList<string>? ModelsOf(string tier) => ModelsByTier.TryGetValue(tier, out var models) ? models : null;

    public bool HasTier(string? tier) => tier is not null && Tiers.Contains(tier, StringComparer.Ordinal);

    public bool TryGetClass(string? name, out OperationClass operationClass)
    {
        if (name is not null && _classes.TryGetValue(name, out var found))
        {
            operationClass = found;
            return true;
        }
        operationClass = null!;
        return false;
    }

    /// <summary>The cell for a tier and class; both must exist (callers validate input first).</summary>
    public QuotaCell Cell(string tier, string operationClass) =>
        _cells.TryGetValue((tier, operationClass), out var cell)
            ? cell
            : throw new KeyNotFoundException($"The matrix has no cell for tier '{tier}', class '{operationClass}'.");
}
