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
    private OwnDatabase _database = null!;

    private string ConnectionString => _database.ConnectionString;

    public async Task InitializeAsync() => _database = await OwnDatabase.CreateAsync("identity");

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
        Assert.Equal(1L, await _database.ScalarAsync<long>("""SELECT count(*) FROM identity."__EFMigrationsHistory" """));
        Assert.Equal(1L, await _database.ScalarAsync<long>("""SELECT count(*) FROM identity."OpenIddictApplications" WHERE "ClientId" = 'acme-backend'"""));
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await _database.DisposeAsync();
        _keys.Delete(recursive: true);
    }
}
