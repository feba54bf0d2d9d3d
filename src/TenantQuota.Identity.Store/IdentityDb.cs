using Microsoft.EntityFrameworkCore;
using OpenIddict.EntityFrameworkCore.Models;

namespace TenantQuota.Identity.Store;

/// <summary>
/// The identity schema (<c>identity</c>, in the product database): OpenIddict's applications,
/// authorizations, scopes and tokens, and the users who sign in to the dashboard. Changed only by
/// the EF Core migrations in Migrations/ (applied at start by <see cref="IdentityStore.MigrateAsync"/>).
/// </summary>
public sealed class IdentityDb(DbContextOptions<IdentityDb> options) : DbContext(options)
{
    public const string Schema = "identity";

    public DbSet<ClientApplication> Applications => Set<ClientApplication>();
    public DbSet<DashboardUser> Users => Set<DashboardUser>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.HasDefaultSchema(Schema);
        model.UseOpenIddict<ClientApplication, ClientAuthorization, OpenIddictEntityFrameworkCoreScope, ClientToken, string>();
        model.Entity<ClientApplication>(application =>
        {
            application.Property(a => a.TenantId).HasMaxLength(100);
            application.HasIndex(a => a.TenantId);
        });
        model.Entity<DashboardUser>(user =>
        {
            user.ToTable("DashboardUsers");
            user.HasKey(u => u.Id);
            user.Property(u => u.Id).HasMaxLength(100);
            user.Property(u => u.Email).HasMaxLength(254);
            user.HasIndex(u => u.Email).IsUnique();
            user.Property(u => u.TenantId).HasMaxLength(100);
        });
    }
}

/// <summary>
/// An OpenIddict application with the tenant it acts for as a real column, so "this tenant's
/// clients" is an indexed predicate rather than a search through a JSON properties blob.
/// </summary>
public sealed class ClientApplication : OpenIddictEntityFrameworkCoreApplication<string, ClientAuthorization, ClientToken>
{
    /// <summary>The <c>tenant_id</c> its tokens carry; null for platform clients and the dashboard.</summary>
    public string? TenantId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class ClientAuthorization : OpenIddictEntityFrameworkCoreAuthorization<string, ClientApplication, ClientToken>;

public sealed class ClientToken : OpenIddictEntityFrameworkCoreToken<string, ClientApplication, ClientAuthorization>;

/// <summary>A tenant administrator who signs in to the dashboard (authorization code + PKCE).</summary>
public sealed class DashboardUser
{
    public required string Id { get; init; }

    /// <summary>Stored lower case; sign-in compares lower case.</summary>
    public required string Email { get; init; }

    /// <summary>An ASP.NET Core <c>PasswordHasher</c> hash (PBKDF2), never the password.</summary>
    public required string PasswordHash { get; set; }

    public required string TenantId { get; set; }
}
