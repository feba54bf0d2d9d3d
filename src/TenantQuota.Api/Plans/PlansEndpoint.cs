using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.Plans;

public sealed record PlansResponse(
    string Version, IReadOnlyList<string> Tiers, IReadOnlyList<OperationClassResponse> OperationClasses,
    IReadOnlyDictionary<string, Dictionary<string, CellResponse>> Matrix);

public sealed record OperationClassResponse(string Name, string Unit, string DisplayName);

/// <param name="Reset">daily, weekly, monthly or rolling:&lt;hours&gt;h.</param>
/// <param name="Burst">Units usable past the hard limit once per window (0: none).</param>
public sealed record CellResponse(long SoftLimit, long HardLimit, string Reset, string OverQuota, string? FallbackClass, long Burst);

/// <summary>GET /v1/plans: the matrix as loaded at start (any valid token).</summary>
public static class PlansEndpoint
{
    public static PlansResponse Describe(QuotaMatrix matrix) => new(
        matrix.Version,
        matrix.Tiers,
        matrix.OperationClasses.Select(c => new OperationClassResponse(c.Name, c.Unit, c.DisplayName)).ToList(),
        matrix.Tiers.ToDictionary(
            tier => tier,
            tier => matrix.OperationClasses.ToDictionary(
                c => c.Name,
                c => matrix.Cell(tier, c.Name) is var cell
                    ? new CellResponse(cell.SoftLimit, cell.HardLimit, cell.ResetName, cell.OverQuota.ToWireName(), cell.FallbackClass, cell.Burst)
                    : null!)));
}
