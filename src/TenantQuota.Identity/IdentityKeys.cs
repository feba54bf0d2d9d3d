using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TenantQuota.Identity;

/// <summary>
/// The certificates that sign tokens (published in the JWKS) and encrypt what only this server reads
/// (authorization codes). They live outside the repository in Identity:KeysPath as
/// <c>signing-*.pfx</c> and <c>encryption-*.pfx</c>, or in the X.509 store by thumbprint. Every valid
/// certificate in the folder is loaded: OpenIddict signs with the one that expires last and publishes
/// all, so adding a certificate rotates the key while tokens signed with the old one keep validating.
/// </summary>
public sealed class IdentityKeys
{
    private const string Signing = "signing";
    private const string Encryption = "encryption";

    private IdentityKeys(IReadOnlyList<X509Certificate2> signing, IReadOnlyList<X509Certificate2> encryption) =>
        (SigningCertificates, EncryptionCertificates) = (signing, encryption);

    public IReadOnlyList<X509Certificate2> SigningCertificates { get; }
    public IReadOnlyList<X509Certificate2> EncryptionCertificates { get; }

    public static IdentityKeys Load(IdentitySettings settings, TimeProvider clock, ILogger logger) => new(
        Load(Signing, settings.SigningCertificateThumbprint, "Identity:SigningCertificateThumbprint", settings, clock, logger),
        Load(Encryption, settings.EncryptionCertificateThumbprint, "Identity:EncryptionCertificateThumbprint", settings, clock, logger));

    private static IReadOnlyList<X509Certificate2> Load(string use, string? thumbprint, string thumbprintSetting, IdentitySettings settings, TimeProvider clock, ILogger logger)
    {
        if (!string.IsNullOrWhiteSpace(thumbprint)) return [FromStore(thumbprint, thumbprintSetting)];

        var folder = Path.GetFullPath(settings.KeysPath);
        // Private keys: readable by this user only.
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var now = clock.GetUtcNow().UtcDateTime;
        var seen = Directory.GetFiles(folder, $"{use}-*.pfx");
        var valid = FromFiles(seen, use, settings.KeysPassword, now, logger);
        if (valid.Count == 0)
        {
            if (!settings.GenerateKeys)
                throw new InvalidOperationException($"No valid {use} certificate ({use}-*.pfx) in Identity:KeysPath '{folder}', and Identity:GenerateKeys is false.");
            var target = Path.Combine(folder, NextGeneratedName(seen, use));
            Generate(target, use, settings.KeysPassword, now, logger);
            valid = FromFiles(Directory.GetFiles(folder, $"{use}-*.pfx"), use, settings.KeysPassword, now, logger);
            if (valid.Count == 0)
                throw new InvalidOperationException($"Generated a {use} certificate as {target} but found no valid one in '{folder}' afterwards (a file of that name in another case, or one that is not valid, may be in the way).");
        }
        return valid;
    }

    /// <summary>
    /// One past the last generated certificate among the files seen (all expired, or none): a name fixed by what the
    /// folder held when this process found no valid one, never by the clock, so processes starting at once on an empty
    /// folder, even either side of midnight, pick the same name and only the first move succeeds.
    /// </summary>
    private static string NextGeneratedName(IEnumerable<string> seen, string use)
    {
        var prefix = $"{use}-generated-";
        var last = seen.Select(Path.GetFileNameWithoutExtension)
            // Case-insensitive like the file systems that are: Signing-Generated-1.pfx holds the name signing-generated-1.pfx there.
            .Select(name => name!.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && long.TryParse(name[prefix.Length..], out var n) ? n : 0)
            .DefaultIfEmpty(0).Max();
        return $"{prefix}{last + 1}.pfx";
    }

    private static List<X509Certificate2> FromFiles(IEnumerable<string> files, string use, string? password, DateTime now, ILogger logger)
    {
        var valid = new List<X509Certificate2>();
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            X509Certificate2 certificate;
            try
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(file, password, X509KeyStorageFlags.EphemeralKeySet);
            }
            catch (CryptographicException e)
            {
                throw new InvalidOperationException($"Cannot read {file} (wrong Identity:KeysPassword, or not a PFX file): {e.Message}", e);
            }
            if (!certificate.HasPrivateKey) throw new InvalidOperationException($"{file} holds no private key.");
            // A certificate not valid yet is kept: OpenIddict publishes it but signs with it only once it is.
            if (certificate.NotAfter.ToUniversalTime() <= now)
            {
                logger.LogWarning("Ignoring expired {Use} certificate {File} (expired {NotAfter:u}); delete it", use, file, certificate.NotAfter.ToUniversalTime());
                certificate.Dispose();
                continue;
            }
            valid.Add(certificate);
        }
        return valid;
    }

    /// <summary>
    /// A self-signed RSA certificate, written to <paramref name="target"/> unless another process got there first (its
    /// move then fails and this one uses that file).
    /// </summary>
    private static void Generate(string target, string use, string? password, DateTime now, ILogger logger)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN=TenantQuota identity {use}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            use == Signing ? X509KeyUsageFlags.DigitalSignature : X509KeyUsageFlags.KeyEncipherment, critical: true));
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(2));

        var temporary = Path.Combine(Path.GetDirectoryName(target)!, $".{use}-{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var file = new FileStream(temporary, options))
                file.Write(certificate.Export(X509ContentType.Pfx, password));
            File.Move(temporary, target, overwrite: false);
            logger.LogWarning("Generated a new {Use} certificate {File} (valid until {NotAfter:u}); keep it outside version control", use, target, certificate.NotAfter.ToUniversalTime());
        }
        catch (IOException) when (File.Exists(target))
        {
            // Another process generated it first: use that one.
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static X509Certificate2 FromStore(string thumbprint, string setting)
    {
        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadOnly);
        var found = store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint.Replace(" ", ""), validOnly: false);
        return found.Count == 1 && found[0].HasPrivateKey
            ? found[0]
            : throw new InvalidOperationException($"{setting} '{thumbprint}' names no certificate with a private key in the CurrentUser/My store.");
    }
}
