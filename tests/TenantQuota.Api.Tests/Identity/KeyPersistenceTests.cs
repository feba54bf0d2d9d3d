using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using TenantQuota.Identity;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Identity;

/// <summary>The signing key is generated once into the key folder and survives a restart.</summary>
public sealed class KeyPersistenceTests : IDisposable
{
    private readonly DirectoryInfo _keys = Directory.CreateTempSubdirectory("tq-identity-keys-");

    [Fact]
    public async Task Keeps_the_signing_key_across_a_restart_so_earlier_tokens_still_validate()
    {
        var port = IdentityServerHost.FreePort();
        string token, keyIdsBefore;
        await using (var first = new IdentityServerHost(_keys.FullName, port))
        {
            token = await first.TokenAsync("acme-backend", "acme-dev-secret");
            keyIdsBefore = await KeyIds(first);
        }

        await using var second = new IdentityServerHost(_keys.FullName, port);
        var keyIdsAfter = await KeyIds(second);
        await using var api = new ApiHost(new Dictionary<string, string?> { ["Auth:Authority"] = second.Issuer }, trustTestTokens: false);
        await api.CreateTenantAsyncAs(await second.TokenAsync("platform-admin", "platform-admin-secret"), "acme", "free");
        var check = await api.Client(token).CheckAsync(new { subjectId = "restart-user", operationClass = "summaries", quantity = 1 });

        Assert.Equal(keyIdsBefore, keyIdsAfter);
        Assert.Contains((string)Jwt.Header(token)["kid"]!, keyIdsAfter);
        Assert.Equal(200, check.Status);
        Assert.Single(_keys.GetFiles("signing-*.pfx"));
        Assert.Single(_keys.GetFiles("encryption-*.pfx"));
        if (!OperatingSystem.IsWindows()) // private keys: readable by their owner only
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_keys.GetFiles("signing-*.pfx")[0].FullName));
    }

    [Fact]
    public async Task Rotates_to_an_added_certificate_while_tokens_signed_with_the_old_one_still_validate()
    {
        var port = IdentityServerHost.FreePort();
        string oldToken;
        await using (var before = new IdentityServerHost(_keys.FullName, port))
            oldToken = await before.TokenAsync("acme-backend", "acme-dev-secret");

        // The README's procedure: add a certificate (expiring after the generated one), restart.
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=rotated signing", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
            using var added = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(3));
            await File.WriteAllBytesAsync(Path.Combine(_keys.FullName, "signing-rotated.pfx"), added.Export(X509ContentType.Pfx));
        }
        await using var after = new IdentityServerHost(_keys.FullName, port);
        var newToken = await after.TokenAsync("acme-backend", "acme-dev-secret");
        await using var api = new ApiHost(new Dictionary<string, string?> { ["Auth:Authority"] = after.Issuer }, trustTestTokens: false);
        await api.CreateTenantAsyncAs(await after.TokenAsync("platform-admin", "platform-admin-secret"), "acme", "free");

        var (oldKid, newKid) = ((string)Jwt.Header(oldToken)["kid"]!, (string)Jwt.Header(newToken)["kid"]!);
        Assert.NotEqual(oldKid, newKid);
        Assert.Equal(string.Join(" ", new[] { oldKid, newKid }.Order()), await KeyIds(after));
        foreach (var token in new[] { oldToken, newToken })
            Assert.Equal(200, (await api.Client(token).CheckAsync(new { subjectId = "rotation-user", operationClass = "summaries", quantity = 1 })).Status);
    }

    [Fact]
    public async Task Generates_one_key_when_several_hosts_start_on_an_empty_folder_at_once()
    {
        var settings = new IdentitySettings { KeysPath = _keys.FullName };
        using var start = new Barrier(6);

        var loaded = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return IdentityKeys.Load(settings, TimeProvider.System, NullLogger.Instance);
        })));

        Assert.Single(_keys.GetFiles("signing-*.pfx"));
        Assert.Single(loaded.SelectMany(keys => keys.SigningCertificates).Select(c => c.Thumbprint).Distinct());
        Assert.Single(loaded.SelectMany(keys => keys.EncryptionCertificates).Select(c => c.Thumbprint).Distinct());
        Assert.Empty(_keys.GetFiles(".*.tmp"));
    }

    [Fact]
    public void Names_a_generated_key_by_what_the_folder_holds_never_by_the_day_and_follows_an_expired_one_with_the_next()
    {
        var settings = new IdentitySettings { KeysPath = _keys.FullName };
        var clock = new SettableClock();
        clock.Set("2026-12-01T23:59:59Z");
        var first = IdentityKeys.Load(settings, clock, NullLogger.Instance);
        clock.Set("2029-01-01T00:00:00Z"); // past the first key's two years

        var second = IdentityKeys.Load(settings, clock, NullLogger.Instance);

        Assert.Equal(["signing-generated-1.pfx", "signing-generated-2.pfx"], _keys.GetFiles("signing-*.pfx").Select(f => f.Name).Order());
        Assert.NotEqual(Assert.Single(first.SigningCertificates).Thumbprint, Assert.Single(second.SigningCertificates).Thumbprint);
    }

    private static async Task<string> KeyIds(IdentityServerHost identity)
    {
        using var http = new HttpClient { BaseAddress = identity.Address };
        var jwks = await ApiCalls.ReadAsync(await http.GetAsync("jwks"));
        return string.Join(" ", jwks.Json["keys"]!.AsArray().Select(k => (string)k!["kid"]!).Order());
    }

    public void Dispose() => _keys.Delete(recursive: true);
}
