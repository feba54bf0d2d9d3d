using Npgsql;

namespace TenantQuota.Testing;

/// <summary>
/// A database of its own on the test PostgreSQL for this run (an API host migrates it when it starts), dropped at the
/// end. For hosts whose work reaches past their own tenants: the worker's dispatcher publishes every pending outbox row
/// and its consumer reads the global Stripe catalogue; an API host on a clock fixed in the past mints view tokens that
/// hosts at the real time delete as long expired (each mint sweeps every tenant's).
/// </summary>
public sealed class OwnDatabase : IAsyncDisposable
{
    private readonly string _name;

    private OwnDatabase(string purpose)
    {
        _name = $"tq_{purpose}_{Guid.NewGuid():N}";
        ConnectionString = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString) { Database = _name }.ConnectionString;
    }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    /// <param name="purpose">A word in the database's name (lowercase letters and underscores), to tell whose it is.</param>
    public static async Task<OwnDatabase> CreateAsync(string purpose = "worker")
    {
        var database = new OwnDatabase(purpose);
        await using (var server = NpgsqlDataSource.Create(TestDatabase.ConnectionString))
            await server.CreateCommand($"CREATE DATABASE {database._name}").ExecuteNonQueryAsync();
        database.DataSource = NpgsqlDataSource.Create(database.ConnectionString);
        return database;
    }

    public async Task<T?> ScalarAsync<T>(string sql, params object[] values)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    public async Task<int> ExecuteAsync(string sql, params object[] values)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (DataSource is not null) await DataSource.DisposeAsync();
        await using var server = NpgsqlDataSource.Create(TestDatabase.ConnectionString);
        await server.CreateCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)").ExecuteNonQueryAsync();
    }
}
