using System.Globalization;
using NodaTime;
using TenantQuota.Copy;
using TenantQuota.Data;
using TenantQuota.Domain;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.Entitlements;

/// <summary>The answer of check and consume (a denial is an answer, not an error).</summary>
public sealed record DecisionResponse(
    bool Allowed, string Decision, string OperationClass, string Tier, long Used, long SoftLimit, long HardLimit,
    long Remaining, DateTime ResetsAt, string State, string? FallbackClass, bool Recorded, bool Duplicate,
    QuotaMessage? Message, long BillableQuantity);

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
        QuotaCell cell, QuotaWindow window, long requested, QuotaOutcome outcome, bool recorded, bool duplicate)
    {
        var stage = QuotaStages.For(cell, outcome, deps.Thresholds);
        var message = deps.Message(tenant, tier, operationClass, cell, window, stage, requested, outcome.Used, outcome.BillableQuantity, !outcome.Allowed, now, locale);
        return new DecisionResponse(outcome.Allowed, outcome.Decision.WireName(), operationClass, tier, outcome.Used,
            cell.SoftLimit, cell.HardLimit, outcome.Remaining, window.End.ToDateTimeUtc(), outcome.State.WireName(), outcome.FallbackClass,
            recorded, duplicate, message, outcome.BillableQuantity);
    }

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
