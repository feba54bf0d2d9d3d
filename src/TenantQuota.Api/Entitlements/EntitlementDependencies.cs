using NodaTime;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Hosting;
using TenantQuota.Copy;
using TenantQuota.Data;
using TenantQuota.Domain;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Matrix;
using TenantQuota.Domain.Prices;
using Microsoft.Extensions.Options;

namespace TenantQuota.Api.Entitlements;

/// <summary>A request's charge: the subject's department, what it uses, and one line per level.</summary>
public sealed record EntitlementPlan(string? DepartmentId, UsageAmount Usage, IReadOnlyList<LevelCharge> Lines);

/// <summary>What every entitlement endpoint needs, bundled so that handlers stay one short method.</summary>
public sealed class EntitlementDependencies(
    QuotaMatrix matrix, PriceTable prices, QuotaCopy copy, QuotaLedger ledger, TenantDirectory tenants, TenantBudgets budgets,
    TimeProvider clock, IOptions<QuotaSettings> settings, ApiMetrics metrics)
{
    public ApiMetrics Metrics { get; } = metrics;
    public QuotaMatrix Matrix { get; } = matrix;
    public PriceTable Prices { get; } = prices;
    public TenantBudgets Budgets { get; } = budgets;
    public PriorityShares Shares { get; } = settings.Value.PriorityShares;
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
    /// Which levels a request is charged at and by how much: the subject's own row (department, overrides) is
    /// read only when the tenant has subject rows at all. Null with a problem when the request cannot be
    /// priced (tokens without a model where a level counts dollars, a model not yet priced on this day).
    /// </summary>
    public async Task<(EntitlementPlan? Plan, string? Problem)> PlanAsync(TenantSnapshot tenant, EntitlementRequest request, Instant now, CancellationToken cancellationToken)
    {
        var subject = tenant.HasSubjects ? await Budgets.FindSubjectAsync(tenant.Id, request.SubjectId!, cancellationToken) : null;
        var department = tenant.Department(subject?.DepartmentId);
        Matrix.TryGetClass(request.OperationClass, out var operationClass);
        var cell = SubjectCell(tenant, subject, operationClass.Name);
        long cost = 0;
        if (request.Model is { } model)
        {
            if (Prices.CostMicroUsd(model, request.InputTokens, request.OutputTokens, now) is not { } priced)
                return (null, $"Model '{model}' has no price on {now.InUtc().Date:yyyy-MM-dd} in the price table {Prices.Version}.");
            cost = priced;
        }
        else if (request.Tokens is not null && (tenant.Budget?.Unit == Budget.Usd || department?.Budget?.Unit == Budget.Usd))
            return (null, "model is required with tokens here: a budget of this subject is kept in dollars, and the model's price says what the tokens cost.");
        var usage = new UsageAmount(request.QuantityFor(operationClass), operationClass.Unit, request.InputTokens, request.OutputTokens, cost);
        var lines = ChargePlan.For(tenant.Id, tenant.Budget, department, request.SubjectId!, operationClass.Name, cell, usage, tenant.Zone, now, Shares,
            new ModelAccess(request.Model, Matrix.ModelsOf(tenant.Tier), subject?.Models), subject?.Hold);
        return (new EntitlementPlan(department?.Id, usage, lines), null);
    }

    /// <summary>
    /// What each line's counter counts now, and what the burst counters of lines with a burst allowance have used;
    /// null when the tenant snapshot is stale.
    /// </summary>
    public async Task<(long[] Counted, long[] BurstBefore)?> ReadCountedAsync(TenantSnapshot tenant, IReadOnlyList<LevelCharge> lines, CancellationToken cancellationToken)
    {
        var bursts = lines.Select((l, i) => (Line: l, Index: i)).Where(l => l.Line.Burst is not null).ToList();
        var reads = lines.Concat(bursts.Select(b => b.Line with { Metric = b.Line.BurstMetric, Window = b.Line.Burst!.Window })).ToList();
        if (await Ledger.ReadCountedAsync(tenant, reads, cancellationToken) is not { } all) return null;
        var burstBefore = new long[lines.Count];
        for (var b = 0; b < bursts.Count; b++) burstBefore[bursts[b].Index] = all[lines.Count + b];
        return (all[..lines.Count], burstBefore);
    }

    /// <summary>The cell of a class for a subject: the tenant's (tier and deal), with the subject's own override on top.</summary>
    public QuotaCell SubjectCell(TenantSnapshot tenant, SubjectRow? subject, string operationClass)
    {
        var cell = tenant.Cell(Matrix, operationClass);
        return TenantBudgets.Overrides(subject).TryGetValue(operationClass, out var own) ? own.ApplyTo(cell) : cell;
    }

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
