using TenantQuota.Api.Auth;
using TenantQuota.Api.Hosting;

namespace TenantQuota.Api.Entitlements;

/// <summary>The entitlement routes: check, consume and a subject's usage.</summary>
public static class EntitlementsApi
{
    public static RouteGroupBuilder MapEntitlements(this RouteGroupBuilder v1)
    {
        var entitlements = v1.MapGroup("").WithTags("Entitlements");
        entitlements.MapPost("/entitlements/check", CheckEndpoint.Handle)
            .RequireAuthorization(Scopes.QuotaCheck)
            .WithName("CheckEntitlement")
            .WithSummary("Ask whether a subject may do an operation now")
            .WithDescription("Decides as consume would, from the subject's usage in the current window, and records nothing. " +
                "A denial is an answer (200 with allowed: false), not an error. Scope quota.check.")
            .AcceptsJsonBody()
            .WithExamples(CheckExample, DecisionExample(recorded: false));
        entitlements.MapPost("/entitlements/consume", ConsumeEndpoint.Handle)
            .RequireAuthorization(Scopes.QuotaConsume)
            .WithName("ConsumeEntitlement")
            .WithSummary("Decide and, when allowed, record usage atomically")
            .WithDescription("Idempotent on idempotencyKey: the same key with the same body answers the first answer again " +
                "(duplicate: true) and records nothing more; with another body it is a 409. A block or degrade cell never " +
                "lets used pass hardLimit, under any concurrency. Scope quota.consume.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .AcceptsJsonBody()
            .WithExamples(ConsumeExample, DecisionExample(recorded: true));
        entitlements.MapPost("/entitlements/reserve", ReservationEndpoints.Reserve)
            .RequireAuthorization(Scopes.QuotaConsume)
            .WithName("ReserveEntitlement")
            .WithSummary("Hold an estimate at every level until the actual amount is known")
            .WithDescription("Body as consume (quantity is the estimate, model and tokens optional) plus ttlSeconds (1–86400, default 300). " +
                "When allowed, holds the estimate against the subject's cell and, where configured, its department's and the tenant's budgets; " +
                "held amounts count as used for every other request until committed, released or expired. Answers the decision plus " +
                "reservationId and expiresAt. Idempotent on idempotencyKey. Scope quota.consume.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .AcceptsJsonBody()
            .WithExamples(ReserveExample, DecisionExample(recorded: false));
        entitlements.MapPost("/reservations/{reservationId}/commit", ReservationEndpoints.Commit)
            .RequireAuthorization(Scopes.QuotaConsume)
            .WithName("CommitReservation")
            .WithSummary("Record the actual amount of a reservation and free the rest")
            .WithDescription("{ \"quantity\": 1234 } (and tokens { input, output } for a priced model; both default to the estimate). More than " +
                "the estimate is recorded even past a hard limit (billed as overage on an overage cell). Idempotent: the same commit again answers " +
                "the same (duplicate: true); another amount is a 409 reservation-committed. A released reservation is a 409 reservation-released, " +
                "an expired one a 409 reservation-expired. Scope quota.consume.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        entitlements.MapPost("/reservations/{reservationId}/release", ReservationEndpoints.Release)
            .RequireAuthorization(Scopes.QuotaConsume)
            .WithName("ReleaseReservation")
            .WithSummary("Free a reservation's hold; records nothing")
            .WithDescription("Idempotent (a second release answers duplicate: true); an expired reservation answers status expired, its hold " +
                "already freed; a committed one is a 409 reservation-committed. Scope quota.consume.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        entitlements.MapGet("/subjects/{subjectId}/usage", UsageEndpoint.Handle)
            .RequireAuthorization(Scopes.QuotaCheck)
            .WithName("GetSubjectUsage")
            .WithSummary("Read a subject's usage of every operation class")
            .WithDescription("Every class of the tenant's tier in its current window, with the copy to show the subject. Scope quota.check.");
        return v1;
    }

    private const string CheckExample = """{ "subjectId": "user-42", "operationClass": "summaries", "quantity": 1 }""";

    private const string ConsumeExample =
        """{ "subjectId": "user-42", "operationClass": "summaries", "quantity": 1, "idempotencyKey": "req-7f3a9c" }""";

    private const string ReserveExample =
        """{ "subjectId": "user-42", "operationClass": "deep_research", "quantity": 1, "idempotencyKey": "req-7f3a9d", "model": "gpt-large", "tokens": { "input": 12000, "output": 3000 }, "ttlSeconds": 600 }""";

    private static string DecisionExample(bool recorded) => $$"""
        { "allowed": true, "decision": "warn", "operationClass": "summaries", "tier": "free",
          "used": 8, "softLimit": 7, "hardLimit": 10, "remaining": 2,
          "resetsAt": "2026-11-23T00:00:00Z", "state": "soft_limit", "fallbackClass": null,
          "recorded": {{(recorded ? "true" : "false")}}, "duplicate": false, "billableQuantity": 0,
          "message": { "severity": "warning", "title": "Only 2 summaries left today",
                       "body": "You've used 8 of 10 summaries today; more arrive in 3 hours. Pro gives you 200 summaries a day.",
                       "cta": { "label": "See Pro", "url": "https://app.tenantquota.dev/upgrade" } } }
        """;
}
