namespace TenantQuota.Client;

/// <summary>Tokens an LLM call used, for budgets kept in dollars or tokens.</summary>
public sealed record TokenCounts(long Input, long Output);

/// <summary>
/// The body of check, consume and reserve (API-v1 "Entitlements"). <see cref="IdempotencyKey"/> is required by consume and
/// reserve; the client makes one per call when it is left null. <see cref="Quantity"/> left null is TenantQuota's to
/// work out: the tokens' total for a class counted in tokens, else 1.
/// </summary>
public sealed record QuotaRequest(string SubjectId, string OperationClass, long? Quantity = null, string? IdempotencyKey = null, string? Model = null,
    TokenCounts? Tokens = null, int? TtlSeconds = null)
{
    /// <summary>The end user's Accept-Language, so the answer's copy is in their language (sent as a header, not in the body).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Language { get; init; }
}

/// <summary>The end-user copy of an answer: what to show the person (severity info, warning or error).</summary>
public sealed record QuotaMessage(string Severity, string Title, string Body, QuotaCallToAction? Cta);

public sealed record QuotaCallToAction(string Label, string Url);

/// <summary>One level of an answer: the tenant's or a department's budget, or the person's cell; amounts in <see cref="Unit"/>.</summary>
public sealed record QuotaLevelAnswer(string Level, string Id, string Unit, decimal Used, decimal Limit, decimal Remaining, DateTime ResetsAt, string State);

/// <summary>The answer of check, consume, reserve and commit: a denial is an answer (<see cref="Allowed"/> false), not an error.</summary>
public sealed record QuotaDecision(
    bool Allowed, string Decision, string OperationClass, string Tier, long Used, long SoftLimit, long HardLimit, long Remaining, DateTime ResetsAt,
    string State, string? FallbackClass, bool Recorded, bool Duplicate, QuotaMessage? Message, long BillableQuantity, string LimitingLevel,
    IReadOnlyList<QuotaLevelAnswer> Levels, string? Reason, string? Model = null, decimal? CostUsd = null, string? ReservationId = null,
    string? Status = null, DateTime? ExpiresAt = null, string? FallbackModel = null)
{
    /// <summary>
    /// True when this answer is the client's failure policy, not TenantQuota's (it could not be reached): <see cref="Reason"/>
    /// is "unavailable", the counts are unknown (0), and an allowed consume waits in the <see cref="OutageJournal"/>.
    /// </summary>
    public bool Offline { get; init; }

    internal static QuotaDecision Unreachable(QuotaRequest request, bool allowed, QuotaMessage message) =>
        new(allowed, allowed ? "allow" : "deny", request.OperationClass, Tier: "", Used: 0, SoftLimit: 0, HardLimit: 0, Remaining: 0,
            ResetsAt: default, State: "unknown", FallbackClass: null, Recorded: false, Duplicate: false, allowed ? null : message,
            BillableQuantity: 0, LimitingLevel: "", Levels: [], Reason: "unavailable") { Offline = true };
}

/// <summary>What one <see cref="TenantQuotaClient.ReplayJournalAsync"/> pass did with the journal.</summary>
/// <param name="Recorded">Sent and recorded now.</param>
/// <param name="AlreadyRecorded">TenantQuota had it already (the original reached it and only the answer was lost): recorded once.</param>
/// <param name="Refused">
/// TenantQuota denied it now (the subject was past a hard limit): the use happened during the outage but is not recorded;
/// this is the over-grant docs/failure-policy.md bounds.
/// </param>
/// <param name="Rejected">Answered 4xx (e.g. the class no longer exists); dropped.</param>
/// <param name="Expired">Older than JournalMaxAge; dropped unsent.</param>
/// <param name="Left">Still journaled, because TenantQuota stopped answering during the pass.</param>
public sealed record JournalReplay(int Recorded, int AlreadyRecorded, int Refused, int Rejected, int Expired, int Left);

/// <summary>What a commit settles: the actual quantity (and tokens) of a reservation.</summary>
public sealed record CommitRequest(long? Quantity = null, TokenCounts? Tokens = null);

/// <summary>A subject's usage of every class in its current windows (GET /v1/subjects/{id}/usage).</summary>
public sealed record SubjectUsage(string SubjectId, string Tier, IReadOnlyList<ClassUsage> Classes);

public sealed record ClassUsage(string OperationClass, long Used, long SoftLimit, long HardLimit, long Remaining, DateTime ResetsAt, string State,
    QuotaMessage? Message = null);

/// <summary>A bearer token (≤ 15 minutes) that can only read one subject's usage, for the embeddable meter.</summary>
public sealed record ViewToken(string Token, DateTime ExpiresAt);
