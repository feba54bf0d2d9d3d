namespace TenantQuota.Identity.Store;

/// <summary>The API's scopes and token shape as the identity side issues them (API-v1.md, "Authentication").</summary>
public static class ApiScopes
{
    public const string QuotaCheck = "quota.check";
    public const string QuotaConsume = "quota.consume";
    public const string TenantAdmin = "tenant.admin";
    public const string PlatformAdmin = "platform.admin";

    /// <summary>The <c>aud</c> of every access token.</summary>
    public const string Audience = "tenantquota-api";

    public const string TenantIdClaim = "tenant_id";

    public static readonly string[] All = [QuotaCheck, QuotaConsume, TenantAdmin, PlatformAdmin];

    /// <summary>What a tenant's client may hold: platform.admin acts across tenants, so it is never bound to one.</summary>
    public static readonly string[] ForTenantClients = [QuotaCheck, QuotaConsume, TenantAdmin];

    /// <summary>What a dashboard user (a tenant administrator) gets through the sign-in flow.</summary>
    public static readonly string[] ForDashboardUsers = [TenantAdmin, QuotaCheck];
}
