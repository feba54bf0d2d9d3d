using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Data;
using TenantQuota.Domain.Budgets;

namespace TenantQuota.Api.Entitlements;

/// <summary>The body of commit: the actual amount (defaults: the estimate's quantity and tokens).</summary>
public sealed class CommitRequest
{
    public long? Quantity { get; init; }
    public TokenCounts? Tokens { get; init; }
}

/// <summary>The answer of release: what the reservation is now (released, or expired when its time had run out).</summary>
public sealed record ReleaseResponse(string ReservationId, string Status, bool Duplicate);

/// <summary>
/// Reservations, for work whose cost is known only afterwards: reserve holds an estimate at every level
/// (it counts as used for everybody else), commit records the actual amount and frees the rest, release
/// frees it all. Commit and release are idempotent; an expired reservation frees itself
/// (<see cref="ReservationSweeper"/>, or the commit or release that finds it expired).
/// </summary>
public static partial class ReservationEndpoints
{
    public static async Task<Results<Ok<DecisionResponse>, ValidationProblem, ProblemHttpResult>> Reserve(
        EntitlementRequest? request, TenantContext caller, EntitlementDependencies deps, HttpContext http, CancellationToken cancellationToken) =>
        await ConsumeEndpoint.ChargeAsync(request, reserve: true, caller, deps, http, cancellationToken);

    public static async Task<Results<Ok<DecisionResponse>, ValidationProblem, ProblemHttpResult>> Commit(
        string reservationId, CommitRequest? request, TenantContext caller, EntitlementDependencies deps, HttpContext http, CancellationToken cancellationToken)
    {
        if (Validate(request) is { Count: > 0 } errors) return Problems.Validation(errors);
        var now = deps.Now();
        return await deps.WithCurrentTenantAsync<Results<Ok<DecisionResponse>, ValidationProblem, ProblemHttpResult>>(caller, async tenant =>
        {
            if (!ReservationId().IsMatch(reservationId)
                || await deps.Ledger.FindReservationAsync(tenant.Id, reservationId, cancellationToken) is not { } held)
                return Unknown(reservationId);

            var subjectHold = held.Holds.First(h => h.Level == QuotaLevel.Subject);
            var input = request?.Tokens is { } tokens ? tokens.Input ?? 0 : held.InputTokens ?? 0;
            var output = request?.Tokens is { } t ? t.Output ?? 0 : held.OutputTokens ?? 0;
            var quantity = request?.Quantity
                ?? (subjectHold.Unit == Budget.Tokens && request?.Tokens is not null ? input + output : held.Quantity);
            if (quantity < 1) return Problems.Validation("quantity", "A commit records at least 1; release the reservation to record nothing.");
            long? cost = held.Model is { } model ? deps.Prices.CostMicroUsd(model, input, output, held.CreatedAt) ?? 0 : null;
            var usage = new UsageAmount(quantity, subjectHold.Unit, input, output, cost ?? 0);
            var hasTokens = held.InputTokens is not null || request?.Tokens is not null;

            var settled = await deps.Ledger.SettleAsync(new SettleCommand(true, tenant.Id, reservationId, quantity,
                hasTokens ? input : null, hasTokens ? output : null, cost, held.Holds.Select(h => usage.In(h.Unit)).ToList(), now), cancellationToken);
            switch (settled.Outcome)
            {
                case SettleOutcome.AlreadyReleased:
                    return Problems.Conflict(ProblemTypes.ReservationReleased, "Reservation released.",
                        $"Reservation '{reservationId}' was released; nothing can be committed against it. Reserve again.");
                case SettleOutcome.Expired:
                    return Problems.Conflict(ProblemTypes.ReservationExpired, "Reservation expired.",
                        $"Reservation '{reservationId}' expired at {settled.Record!.ExpiresAt} and its hold was freed; " +
                        "nothing was recorded. Reserve again, with a longer ttlSeconds if the work takes longer.");
                case SettleOutcome.NotFound:
                    return Unknown(reservationId);
            }

            var record = settled.Record!;
            var duplicate = settled.Outcome == SettleOutcome.AlreadyCommitted;
            if (duplicate && (record.Quantity != quantity || (record.InputTokens ?? 0) != (hasTokens ? input : 0) || (record.OutputTokens ?? 0) != (hasTokens ? output : 0)))
                return Problems.Conflict(ProblemTypes.ReservationCommitted, "Reservation already committed.",
                    $"Reservation '{reservationId}' was committed with quantity {record.Quantity}" +
                    (record.InputTokens is null ? "" : $" (tokens {record.InputTokens} in, {record.OutputTokens} out)") + "; a commit is final.");

            var decision = LevelRules.Decide(record.Lines, record.Before, settled: true);
            var subject = decision.Levels.First(l => l.Charge.Level == QuotaLevel.Subject).Charge;
            QuotaAnswers.WriteHeaders(http.Response, record.OperationClass, subject.Cell, subject.Window, decision.Subject.Remaining, now.ToDateTimeUtc());
            return TypedResults.Ok(QuotaAnswers.Answer(deps, tenant, deps.Locale(http.Request), now, record.Tier, record.OperationClass, decision,
                record.Quantity, recorded: true, duplicate, record.Model) with
            {
                Model = record.Model, CostUsd = QuotaAnswers.Dollars(record.CostMicroUsd), ReservationId = reservationId,
                Status = "committed", ExpiresAt = record.ExpiresAt?.ToDateTimeUtc(),
            });
        }, cancellationToken);
    }

    public static async Task<Results<Ok<ReleaseResponse>, ProblemHttpResult>> Release(
        string reservationId, TenantContext caller, EntitlementDependencies deps, CancellationToken cancellationToken)
    {
        if (!ReservationId().IsMatch(reservationId)) return Unknown(reservationId);
        var settled = await deps.Ledger.SettleAsync(new SettleCommand(false, caller.TenantId, reservationId, 0, null, null, null, [], deps.Now()), cancellationToken);
        return settled.Outcome switch
        {
            SettleOutcome.Released => TypedResults.Ok(new ReleaseResponse(reservationId, "released", Duplicate: false)),
            SettleOutcome.AlreadyReleased => TypedResults.Ok(new ReleaseResponse(reservationId, "released", Duplicate: true)),
            SettleOutcome.Expired => TypedResults.Ok(new ReleaseResponse(reservationId, "expired", Duplicate: false)),
            SettleOutcome.AlreadyCommitted or SettleOutcome.Committed => Problems.Conflict(ProblemTypes.ReservationCommitted, "Reservation already committed.",
                $"Reservation '{reservationId}' was committed (quantity {settled.Record!.Quantity}); a committed reservation cannot be released."),
            _ => Unknown(reservationId),
        };
    }

    private static Dictionary<string, string[]> Validate(CommitRequest? request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request?.Quantity is { } quantity && quantity is < 1 or > 2 * EntitlementRequest.MaxTokens)
            errors["quantity"] = [$"quantity must be a whole number from 1 to {2 * EntitlementRequest.MaxTokens}; release the reservation to record nothing."];
        if (request?.Tokens is { } tokens)
        {
            if (tokens.Input is < 0 or > EntitlementRequest.MaxTokens) errors["tokens.input"] = [$"tokens.input must be a whole number from 0 to {EntitlementRequest.MaxTokens}."];
            if (tokens.Output is < 0 or > EntitlementRequest.MaxTokens) errors["tokens.output"] = [$"tokens.output must be a whole number from 0 to {EntitlementRequest.MaxTokens}."];
        }
        return errors;
    }

    private static ProblemHttpResult Unknown(string reservationId) =>
        Problems.NotFound($"This tenant has no reservation '{(reservationId.Length > 64 ? reservationId[..64] + "…" : reservationId)}'.");

    [GeneratedRegex("^res_[0-9a-f]{32}$")]
    private static partial Regex ReservationId();
}
