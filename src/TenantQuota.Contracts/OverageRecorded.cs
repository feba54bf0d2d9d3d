namespace TenantQuota.Contracts;

/// <summary>
/// A consume was recorded past the hard limit of an overage cell: <paramref name="Quantity"/> units
/// of <paramref name="OperationClass"/> are billable. Published by the worker's outbox dispatcher
/// from the billing_outbox row that tq_consume wrote in the consume's own transaction; delivered at
/// least once, so a consumer must be idempotent on <paramref name="UsageRecordId"/>.
/// </summary>
/// <param name="UsageRecordId">The usage record: unique, and the Stripe meter event's identifier.</param>
/// <param name="OccurredAt">When the consume happened (the usage record's time), not when it was published.</param>
public sealed record OverageRecorded(
    long UsageRecordId,
    string TenantId,
    string OperationClass,
    long Quantity,
    DateTimeOffset OccurredAt);
