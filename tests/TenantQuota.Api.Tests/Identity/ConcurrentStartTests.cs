using Npgsql;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Identity;

/// <summary>
/// Two identity processes starting together on an empty database and an empty key folder: one
/// migrates, seeds and generates the keys, the other waits its turn and uses what the first made.
/// </summary>
public sealed class ConcurrentStartTests : IAsyncLifetime
{
    private readonly DirectoryInfo _keys = Directory.CreateTempSubdirectory("tq-identity-keys-");
    private readonly string _database = $"tq_identity_{Guid.NewGuid():N}";

    private string ConnectionString => new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString) { Database = _database }.ConnectionString;

    public async Task InitializeAsync()
    {
        await using var create = ApiHost.Database.CreateCommand($"CREATE DATABASE {_database}");
        await create.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Two_hosts_starting_at_once_migrate_seed_and_generate_keys_once()
    {
        await using var first = new IdentityServerHost(_keys.FullName, IdentityServerHost.FreePort(), ConnectionString);
        await using var second = new IdentityServerHost(_keys.FullName, IdentityServerHost.FreePort(), ConnectionString);

        await Task.WhenAll(Task.Run(() => first.Address), Task.Run(() => second.Address));
        var tokens = await Task.WhenAll(first.TokenAsync("acme-backend", "acme-dev-secret"), second.TokenAsync("acme-backend", "acme-dev-secret"));

        Assert.Single(_keys.GetFiles("signing-*.pfx"));
        Assert.Single(_keys.GetFiles("encryption-*.pfx"));
        Assert.Equal((string)Jwt.Header(tokens[0])["kid"]!, (string)Jwt.Header(tokens[1])["kid"]!);
        await using var data = NpgsqlDataSource.Create(ConnectionString);
        Assert.Equal(1L, await Scalar(data, """SELECT count(*) FROM identity."__EFMigrationsHistory" """));
        Assert.Equal(1L, await Scalar(data, """SELECT count(*) FROM identity."OpenIddictApplications" WHERE "ClientId" = 'acme-backend'"""));
    }

    private static async Task<long> Scalar(NpgsqlDataSource data, string sql)
    {
        await using var command = data.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var drop = ApiHost.Database.CreateCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
        _keys.Delete(recursive: true);
    }
}
