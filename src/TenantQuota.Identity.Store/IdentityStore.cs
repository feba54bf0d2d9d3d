using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenIddict.EntityFrameworkCore.Models;

namespace TenantQuota.Identity.Store;

/// <summary>Registers the identity schema, OpenIddict's stores on it and the client registry, for either host.</summary>
public static class IdentityStore
{
    /// <summary>Held while migrating or seeding, so several processes starting at once take turns.</summary>
    private const long LockKey = 0x7451_4964_656e_74; // "tQIdent"

    /// <param name="connectionStringName">The connection string (same database as the API's; the schema is <c>identity</c>).</param>
    public static IServiceCollection AddIdentityStore(this IServiceCollection services, string connectionStringName)
    {
        services.AddDbContext<IdentityDb>((provider, options) =>
            UseDatabase(options, provider.GetRequiredService<IConfiguration>().GetConnectionString(connectionStringName) is { Length: > 0 } connectionString
                ? connectionString
                : throw new InvalidOperationException($"ConnectionStrings:{connectionStringName} (env ConnectionStrings__{connectionStringName}) is required.")));
        services.AddOpenIddict().AddCore(core => core.UseEntityFrameworkCore().UseDbContext<IdentityDb>()
            .ReplaceDefaultEntities<ClientApplication, ClientAuthorization, OpenIddictEntityFrameworkCoreScope, ClientToken, string>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddScoped<ApiClients>();
        services.AddHostedService<MigrateOnStart>();
        return services;
    }

    public static DbContextOptionsBuilder UseDatabase(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__EFMigrationsHistory", IdentityDb.Schema));

    /// <summary>
    /// Runs <paramref name="work"/> under a PostgreSQL advisory lock held on a connection of its
    /// own. EF Core's own migration lock cannot cover creating the schema and the history table, which
    /// two processes starting at once would otherwise race on.
    /// </summary>
    public static async Task RunExclusiveAsync(IdentityDb db, Func<Task> work, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(db.Database.GetConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({LockKey})", connection))
            await take.ExecuteNonQueryAsync(cancellationToken);
        try
        {
            await work();
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockKey})", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>Applies the identity migrations at start unless Database:MigrateOnStart is false (as for the API's own schema).</summary>
    private sealed class MigrateOnStart(IServiceScopeFactory scopes, IConfiguration configuration, ILogger<IdentityDb> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            if (!configuration.GetValue("Database:MigrateOnStart", true)) return;
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
            await RunExclusiveAsync(db, async () =>
            {
                // Creating the history table first spares the logs the failed query EF makes on an empty schema.
                await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
                await db.Database.MigrateAsync(cancellationToken);
            }, cancellationToken);
            logger.LogInformation("Identity schema is at migration {Migration}", db.Database.GetMigrations().Last());
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>For <c>dotnet ef migrations add</c> only: builds the model without a host or a database.</summary>
internal sealed class DesignTimeIdentityDbFactory : IDesignTimeDbContextFactory<IdentityDb>
{
    public IdentityDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<IdentityDb>();
        IdentityStore.UseDatabase(options, "Host=design-time-only");
        return new IdentityDb(options.Options);
    }
}
