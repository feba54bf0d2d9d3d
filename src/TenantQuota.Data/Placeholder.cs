namespace TenantQuota.Data; public static class Placeholder {}
