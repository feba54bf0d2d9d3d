using Npgsql;
using TenantQuota.Testing;

namespace TenantQuota.Worker.Tests;

/// <summary>
/// A database of its own on the test PostgreSQL for this run, dropped at the end: the dispatcher
/// publishes every pending outbox row and the consumer reads the global Stripe catalogue, so sharing
/// the database with other test projects' hosts would make both sides' results depend on timing.
/// </summary>
public sealed class OwnDatabase : IAsyncDisposable
{
    private readonly string _name = $"tq_worker_{Guid.NewGuid():N}";

    private OwnDatabase() => ConnectionString = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString) { Database = _name }.ConnectionString;

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public static async Task<OwnDatabase> CreateAsync()
    {
        var database = new OwnDatabase();
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
