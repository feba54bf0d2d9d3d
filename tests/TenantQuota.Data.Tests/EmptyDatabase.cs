using Npgsql;

namespace TenantQuota.Data.Tests;

/// <summary>
/// A database of its own on the test PostgreSQL, created empty for the class and dropped after it,
/// so the migrator can be watched from nothing without racing the other test projects' hosts.
/// </summary>
public sealed class EmptyDatabase : IAsyncLifetime
{
    private static readonly string Server =
        Environment.GetEnvironmentVariable("TQ_TEST_CONNECTION")
        ?? "Host=127.0.0.1;Port=55433;Database=tenantquota_test;Username=tenantquota;Password=tenantquota";

    private readonly string _name = $"tq_migrator_{Guid.NewGuid():N}";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await using (var server = NpgsqlDataSource.Create(Server))
            await server.CreateCommand($"CREATE DATABASE {_name}").ExecuteNonQueryAsync();
        DataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Server) { Database = _name, Pooling = false }.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await using var server = NpgsqlDataSource.Create(Server);
        await server.CreateCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)").ExecuteNonQueryAsync();
    }

    public async Task<List<string>> Column(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(reader.GetString(0));
        return values;
    }
}
