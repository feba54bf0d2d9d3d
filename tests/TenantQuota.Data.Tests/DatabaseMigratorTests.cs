namespace TenantQuota.Data.Tests;

/// <summary>Versioned migrations apply once; a stored function is re-applied exactly when its file changes.</summary>
public sealed class DatabaseMigratorTests(EmptyDatabase database) : IClassFixture<EmptyDatabase>
{
    [Fact]
    public async Task Builds_the_schema_from_nothing_then_re_applies_only_a_function_whose_file_changed()
    {
        var first = await DatabaseMigrator.MigrateAsync(database.DataSource);
        var second = await DatabaseMigrator.MigrateAsync(database.DataSource);
        // What a deploy of a changed Functions/tq_consume.sql looks like to the migrator: another checksum.
        await database.Column("UPDATE schema_functions SET checksum = 'changed' WHERE name = 'tq_consume' RETURNING name");
        var third = await DatabaseMigrator.MigrateAsync(database.DataSource);

        var migrations = DatabaseMigrator.Scripts("Migrations").Select(m => m.Name);
        var functions = DatabaseMigrator.Scripts("Functions").Select(f => "function:" + f.Name);
        Assert.Equal(migrations.Concat(functions), first);
        Assert.Empty(second);
        Assert.Equal(["function:tq_consume"], third);
        Assert.Single(await database.Column("SELECT proname::text FROM pg_proc WHERE proname = 'tq_consume'"));
    }

    [Fact]
    public void Keeps_function_bodies_out_of_versioned_migrations()
    {
        var copies = DatabaseMigrator.Scripts("Migrations")
            .Where(m => m.Sql.Contains("FUNCTION", StringComparison.OrdinalIgnoreCase) && m.Sql.Contains("$$", StringComparison.Ordinal))
            .Select(m => m.Name);

        Assert.Empty(copies);
    }
}
