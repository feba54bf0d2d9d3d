using Microsoft.EntityFrameworkCore;

namespace TenantQuota.Data;

/// <summary>
/// EF Core context for the admin side (tenants now; budgets, overrides and audit later).
/// The check/consume hot path does not go through EF: it is one hand-written statement
/// (see docs/decisions/0006-counter-schema-and-hot-path.md). The schema itself is owned by the SQL migrations.
/// </summary>
public sealed class TenantQuotaDb(DbContextOptions<TenantQuotaDb> options) : DbContext(options)
{
    public DbSet<Tenant> Tenants => Set<Tenant>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<Tenant>(tenant =>
        {
            tenant.ToTable("tenants");
            tenant.HasKey(t => t.Id);
            tenant.Property(t => t.Id).HasColumnName("id");
            tenant.Property(t => t.Name).HasColumnName("name");
            tenant.Property(t => t.Tier).HasColumnName("tier");
            tenant.Property(t => t.TimeZone).HasColumnName("time_zone");
            tenant.Property(t => t.Version).HasColumnName("version").IsConcurrencyToken();
            tenant.Property(t => t.CreatedAt).HasColumnName("created_at");
            tenant.Property(t => t.UpdatedAt).HasColumnName("updated_at");
        });
    }
}

public sealed class Tenant
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public required string Tier { get; set; }
    public required string TimeZone { get; set; }
    public long Version { get; set; } = 1;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
}
