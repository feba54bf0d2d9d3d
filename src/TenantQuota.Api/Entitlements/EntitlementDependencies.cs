using NodaTime;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Hosting;
using TenantQuota.Copy;
using TenantQuota.Data;
using TenantQuota.Domain;
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
    public StageThresholds Thresholds { get; } = settings.Value.Thresholds;

    public Instant Now() => Instant.FromDateTimeOffset(clock.GetUtcNow());

    /// <summary>The copy's locale for this request (Accept-Language, falling back to English).</summary>
    public string Locale(HttpRequest request) => Copy.Negotiate(request.Headers.AcceptLanguage.ToString());

    /// <summary>The end-user message for a class of a tenant, where the subject stands in <paramref name="window"/>.</summary>
    public QuotaMessage? Message(TenantSnapshot tenant, string tier, string operationClass, QuotaCell cell, QuotaWindow window,
        QuotaStage stage, long requested, long used, long billable, bool denied, Instant now, string locale) =>
        Copy.Render(new CopySituation(stage, tier, operationClass, cell, requested, used, billable, denied, now, window.End.InZone(tenant.Zone), UpgradeUrl), locale);

    /// <summary>
    /// Runs one hot-path step against this process's copy of the caller's tenant. The step answers
    /// null when the database reports that copy stale (a tier change, from any process); the tenant
    /// is then reloaded and the step run again. A token for a tenant we do not have is a 403.
    /// </summary>
    public async Task<TResult> WithCurrentTenantAsync<TResult>(TenantContext caller, Func<TenantSnapshot, Task<TResult?>> step, CancellationToken cancellationToken)
        where TResult : class
    {
        for (var attempt = 0; attempt < MaxTenantReloads; attempt++)
        {
            var tenant = (attempt == 0 ? await Tenants.FindAsync(caller.TenantId, cancellationToken) : await Tenants.ReloadAsync(caller.TenantId, cancellationToken))
                ?? throw new TenantAccessException(ProblemTypes.TenantNotProvisioned,
                    $"Tenant '{caller.TenantId}' named by the access token is not provisioned here.");
            if (await step(tenant) is { } result) return result;
        }
        throw new InvalidOperationException($"Tenant '{caller.TenantId}' kept changing while a request was answered.");
    }

    /// <summary>How often a request reloads a tenant whose tier changed under it before giving up (a 500).</summary>
    private const int MaxTenantReloads = 3;
}
