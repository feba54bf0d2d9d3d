using NodaTime;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Copy;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Hosting;
using TenantQuota.Api.Tenants;
using TenantQuota.Domain.Matrix;
using Microsoft.Extensions.Options;

namespace TenantQuota.Api.Entitlements;

/// <summary>What every entitlement endpoint needs, bundled so that handlers stay one short method.</summary>
public sealed class EntitlementDependencies(
    QuotaMatrix matrix, QuotaCopy copy, QuotaLedger ledger, TenantDirectory tenants, TimeProvider clock, IOptions<QuotaSettings> settings)
{
    public QuotaMatrix Matrix { get; } = matrix;
    public QuotaCopy Copy { get; } = copy;
    public QuotaLedger Ledger { get; } = ledger;
    public TenantDirectory Tenants { get; } = tenants;
    public string UpgradeUrl { get; } = settings.Value.UpgradeUrl;

    public Instant Now() => Instant.FromDateTimeOffset(clock.GetUtcNow());

    /// <summary>The caller's tenant as this process knows it; a token for a tenant we do not have is a 403.</summary>
    public async Task<TenantSnapshot> TenantAsync(TenantContext caller, bool reload, CancellationToken cancellationToken) =>
        (reload ? await Tenants.ReloadAsync(caller.TenantId, cancellationToken) : await Tenants.FindAsync(caller.TenantId, cancellationToken))
        ?? throw new TenantAccessException(ProblemTypes.TenantNotProvisioned,
            $"Tenant '{caller.TenantId}' named by the access token is not provisioned here.");

    /// <summary>How often a request reloads a tenant whose tier changed under it before giving up (a 500).</summary>
    public const int MaxTenantReloads = 3;
}
