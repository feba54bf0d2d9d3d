namespace TenantQuota.Data.Tests;

/// <summary>
/// Versioned migrations apply once; a stored function is applied when its file's version is higher
/// than the database's, never rolled back by an older process, and never changed without a new version.
/// </summary>
public sealed class DatabaseMigratorTests : IAsyncLifetime
{
    // A database of its own per test (xunit makes a new instance for each), as each one tampers with it.
    private readonly EmptyDatabase database = new();

    public Task InitializeAsync() => database.InitializeAsync();

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task Builds_the_schema_from_nothing_then_follows_function_versions()
    {
        var first = await DatabaseMigrator.MigrateAsync(database.DataSource);
        var second = await DatabaseMigrator.MigrateAsync(database.DataSource);
        // A deploy of a newer Functions/tq_consume.sql looks to the migrator like a lower recorded version.
        await database.Column("UPDATE schema_functions SET version = version - 1 WHERE name = 'tq_consume' RETURNING name");
        var newer = await DatabaseMigrator.MigrateAsync(database.DataSource);
        // An older process restarting while a newer one already ran: the recorded version is higher.
        await database.Column("UPDATE schema_functions SET version = version + 1, checksum = 'newer' WHERE name = 'tq_consume' RETURNING name");
        var older = await DatabaseMigrator.MigrateAsync(database.DataSource);

        var migrations = DatabaseMigrator.Scripts("Migrations").Select(m => m.Name);
        var functions = DatabaseMigrator.Scripts("Functions").Select(f => "function:" + f.Name);
        Assert.Equal(migrations.Concat(functions), first);
        Assert.Empty(second);
        Assert.Equal(["function:tq_consume"], newer);
        Assert.Empty(older);
        Assert.Equal(["newer"], await database.Column("SELECT checksum FROM schema_functions WHERE name = 'tq_consume'"));
    }

    [Fact]
    public async Task Stops_when_a_function_file_changed_without_a_new_version()
    {
        await DatabaseMigrator.MigrateAsync(database.DataSource);
        await database.Column("UPDATE schema_functions SET checksum = 'edited' WHERE name = 'tq_tenant_lock_key' RETURNING name");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => DatabaseMigrator.MigrateAsync(database.DataSource));

        Assert.Contains("Functions/tq_tenant_lock_key.sql", refused.Message);
    }

    [Fact]
    public void Gives_every_function_file_a_version_and_keeps_function_bodies_out_of_versioned_migrations()
    {
        Assert.All(DatabaseMigrator.Scripts("Functions"), f => Assert.True(DatabaseMigrator.FunctionVersion(f.Name, f.Sql) >= 1));
        var copies = DatabaseMigrator.Scripts("Migrations")
            .Where(m => m.Sql.Contains("FUNCTION", StringComparison.OrdinalIgnoreCase) && m.Sql.Contains("$$", StringComparison.Ordinal))
            .Select(m => m.Name);
        Assert.Empty(copies);
    }
}
