namespace TenantQuota.Domain.Matrix;

/// <summary>An operation class: what an operation feels like to the user (summaries, drafts, ...).</summary>
public sealed record OperationClass(string Name, string Unit, string DisplayName);

/// <summary>One tier × class cell of the matrix.</summary>
public sealed record QuotaCell(
    long SoftLimit,
    long HardLimit,
    ResetCadence Reset,
    OverQuotaAction OverQuota,
    string? FallbackClass);

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
