using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Billing.Catalog;

namespace TenantQuota.Api.Billing;

/// <summary>
/// POST /v1/billing/catalog/sync (platform.admin): makes Stripe's products, prices and meters match the
/// matrix and Billing__* prices (<see cref="CatalogSync"/>) and answers their ids and what changed.
/// </summary>
public static class CatalogSyncEndpoint
{
    public static async Task<Ok<CatalogSyncResult>> Handle(CatalogSync sync, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sync.RunAsync(cancellationToken));
}
