namespace TenantQuota.Contracts;

/// <summary>
/// An event of a tenant (an alert, a report) was recorded in tenant_events and is to reach the tenant's
/// webhook endpoints. Published by the worker's event publisher from the unpublished rows; delivered at least
/// once, so a consumer must be idempotent on (<paramref name="TenantId"/>, <paramref name="EventId"/>).
/// </summary>
/// <param name="Type">e.g. alert.threshold_crossed; endpoints subscribe by type.</param>
public sealed record TenantEventRecorded(string TenantId, string EventId, string Type, DateTimeOffset CreatedAt);
