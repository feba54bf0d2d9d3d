using System.Globalization;
using NodaTime;
using TenantQuota.Copy;
using TenantQuota.Data;
using TenantQuota.Domain;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.Entitlements;

/// <summary>
/// The answer of check, consume, reserve and commit (a denial is an answer, not an error). The top-level
/// numbers are the subject's cell for the class; <see cref="Levels"/> has every level the request was charged
/// at (tenant and department budgets, the cell), and <see cref="LimitingLevel"/> the one that refused or is
/// nearest its limit. Reserve adds the reservation; a request that named a model adds its cost.
/// </summary>
public sealed record DecisionResponse(
    bool Allowed, string Decision, string OperationClass, string Tier, long Used, long SoftLimit, long HardLimit,
    long Remaining, DateTime ResetsAt, string State, string? FallbackClass, bool Recorded, bool Duplicate,
    QuotaMessage? Message, long BillableQuantity, string LimitingLevel, IReadOnlyList<LevelAnswer> Levels, string? Reason,
    string? Model = null, decimal? CostUsd = null, string? ReservationId = null, string? Status = null, DateTime? ExpiresAt = null,
    string? FallbackModel = null, BurstAnswer? Burst = null);

/// <summary>
/// A cell's burst allowance: up to <see cref="Limit"/> units past the hard limit once per window (until
/// <see cref="ResetsAt"/>); <see cref="FromThisRequest"/> is what this request took from it.
/// </summary>
public sealed record BurstAnswer(long Limit, long Used, long Remaining, long FromThisRequest, DateTime ResetsAt);

/// <summary>
/// One level of an answer: <see cref="Id"/> is the tenant, department or subject id; amounts are in
/// <see cref="Unit"/> (dollars for usd). <see cref="Used"/> counts what open reservations hold.
/// </summary>
public sealed record LevelAnswer(string Level, string Id, string Unit, decimal Used, decimal Limit, decimal Remaining, DateTime ResetsAt, string State);

/// <summary>Wire names and the quota headers shared by every answer about a class.</summary>
public static class QuotaAnswers
{
    public static string WireName(this Decision decision) => decision switch
    {
        Decision.Allow => "allow",
        Decision.Warn => "warn",
        Decision.Deny => "deny",
        _ => "overage",
    };

    public static string WireName(this QuotaState state) => state switch
    {
        QuotaState.Ok => "ok",
        QuotaState.SoftLimit => "soft_limit",
        _ => "hard_limit",
    };

    public static DecisionResponse Answer(EntitlementDependencies deps, TenantSnapshot tenant, string locale, Instant now, string tier, string operationClass,
        ChargeDecision decision, long requested, bool recorded, bool duplicate, string? model = null)
    {
        var subjectLevel = decision.Levels.First(l => l.Charge.Level == QuotaLevel.Subject);
        var subject = subjectLevel.Charge;
        var (cell, window, outcome) = (subject.Cell, subject.Window, decision.Subject);
        // The copy speaks about the subject's own cell, unless a budget, a model list or an anomaly hold refused: then about that.
        var message = decision.Allowed || (decision.LimitingLevel == QuotaLevel.Subject && decision.Reason is RefusalReason.Limit or RefusalReason.Priority)
            ? deps.Message(tenant, tier, operationClass, cell, window, QuotaStages.For(cell, outcome, deps.Thresholds), requested, outcome.Used,
                outcome.BillableQuantity, !outcome.Allowed, now, locale)
            : deps.Copy.RenderRefusal(new RefusalSituation(
                decision.Reason switch
                {
                    RefusalReason.Model => "model_refused", RefusalReason.Priority => "budget_priority", RefusalReason.Anomaly => "anomaly_hold", _ => "budget_stop",
                },
                decision.LimitingLevel.ToWireName(), operationClass, outcome.FallbackClass, decision.FallbackModel, model, now,
                decision.Levels.First(l => l.Refused).Charge.Window.End.InZone(tenant.Zone)), locale);
        return new DecisionResponse(outcome.Allowed, outcome.Decision.WireName(), operationClass, tier, outcome.Used,
            cell.SoftLimit, cell.HardLimit, outcome.Remaining, window.End.ToDateTimeUtc(), outcome.State.WireName(), outcome.FallbackClass,
            recorded, duplicate, message, outcome.BillableQuantity, decision.LimitingLevel.ToWireName(),
            decision.Levels.Select(l => Level(deps, l)).ToList(), decision.Reason?.WireName(), FallbackModel: decision.FallbackModel,
            Burst: subject.Burst is { } burst
                ? new BurstAnswer(burst.Limit, subjectLevel.BurstUsed, Math.Max(0, burst.Limit - subjectLevel.BurstUsed), subjectLevel.FromBurst, burst.Window.End.ToDateTimeUtc())
                : null);
    }

    public static LevelAnswer Level(EntitlementDependencies deps, LevelOutcome level)
    {
        var charge = level.Charge;
        var unit = charge.Level == QuotaLevel.Subject && deps.Matrix.TryGetClass(charge.Metric, out var c) ? c.Unit : charge.Unit;
        return new LevelAnswer(charge.Level.ToWireName(), charge.OwnerId, unit, BudgetParser.LimitToWire(unit, level.Used),
            BudgetParser.LimitToWire(unit, charge.Cell.HardLimit), BudgetParser.LimitToWire(unit, level.Remaining),
            charge.Window.End.ToDateTimeUtc(), level.State.WireName());
    }

    public static string WireName(this RefusalReason reason) => reason switch
    {
        RefusalReason.Priority => "priority",
        RefusalReason.Model => "model",
        RefusalReason.Anomaly => "anomaly",
        _ => "limit",
    };

    /// <summary>Micro-dollars as the wire shows them: dollars.</summary>
    public static decimal? Dollars(long? micros) => micros is { } m ? m / 1_000_000m : null;

    /// <summary>
    /// X-Quota-Remaining / X-Quota-Reset (required by the contract) and the IETF RateLimit-Policy /
    /// RateLimit pair (draft-ietf-httpapi-ratelimit-headers), so generic clients can back off too.
    /// </summary>
    public static void WriteHeaders(HttpResponse response, string operationClass, QuotaCell cell, QuotaWindow window, long remaining, DateTime now)
    {
        var resetsAt = window.End.ToDateTimeUtc();
        var headers = response.Headers;
        headers["X-Quota-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-Quota-Reset"] = resetsAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var windowSeconds = (long)(window.End - window.Start).TotalSeconds;
        var secondsToReset = Math.Max(0, (long)Math.Ceiling((resetsAt - now).TotalSeconds));
        headers["RateLimit-Policy"] = $"\"{operationClass}\";q={cell.HardLimit};w={windowSeconds}";
        headers["RateLimit"] = $"\"{operationClass}\";r={remaining};t={secondsToReset}";
    }
}
