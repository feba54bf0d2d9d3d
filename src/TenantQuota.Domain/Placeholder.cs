namespace TenantQuota.Domain; public static class Placeholder {}
