namespace TenantQuota.Testing;

/// <summary>
/// The real PostgreSQL the tests run against. scripts/test.sh starts a test cluster (port 55433)
/// and recreates the database; TQ_TEST_CONNECTION overrides. Tests isolate themselves by creating
/// their own tenants, so they never need to clean up between them.
/// </summary>
public static class TestDatabase
{
    public static string ConnectionString { get; } =
        Environment.GetEnvironmentVariable("TQ_TEST_CONNECTION")
        ?? "Host=127.0.0.1;Port=55433;Database=tenantquota_test;Username=tenantquota;Password=tenantquota;Maximum Pool Size=16";
}

/// <summary>One-value reads for tests that look at what the database holds.</summary>
public static class DatabaseReads
{
    public static async Task<T> Scalar<T>(this Npgsql.NpgsqlDataSource db, string sql, params object[] values)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var value in values) command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = value });
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
