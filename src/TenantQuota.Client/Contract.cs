namespace TenantQuota.Client;

/// <summary>Tokens an LLM call used, for budgets kept in dollars or tokens.</summary>
public sealed record TokenCounts(long Input, long Output);

/// <summary>
/// The body of check, consume and reserve (API-v1 "Entitlements"). <see cref="IdempotencyKey"/> is required by consume and
/// reserve; the client makes one per call when it is left null.
/// </summary>
public sealed record QuotaRequest(string SubjectId, string OperationClass, long Quantity = 1, string? IdempotencyKey = null, string? Model = null,
    TokenCounts? Tokens = null, int? TtlSeconds = null);

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
    string? Status = null, DateTime? ExpiresAt = null, string? FallbackModel = null);

/// <summary>What a commit settles: the actual quantity (and tokens) of a reservation.</summary>
public sealed record CommitRequest(long? Quantity = null, TokenCounts? Tokens = null);

/// <summary>A subject's usage of every class in its current windows (GET /v1/subjects/{id}/usage).</summary>
public sealed record SubjectUsage(string SubjectId, string Tier, IReadOnlyList<ClassUsage> Classes);

public sealed record ClassUsage(string OperationClass, long Used, long SoftLimit, long HardLimit, long Remaining, DateTime ResetsAt, string State,
    QuotaMessage? Message = null);

/// <summary>A bearer token (≤ 15 minutes) that can only read one subject's usage, for the embeddable meter.</summary>
public sealed record ViewToken(string Token, DateTime ExpiresAt);
