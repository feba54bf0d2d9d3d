using TenantQuota.Domain.Matrix;
using TenantQuota.Domain.Prices;

namespace TenantQuota.Data;

/// <summary>
/// Files a host reads at start, found the same way by the API and the worker: the quota matrix
/// (Quota:MatrixPath), the model price table (Quota:PricesPath) and, for the API, the copy templates.
/// </summary>
public static class HostFiles
{
    /// <summary>Quota:MatrixPath's default: the build links config/quota-matrix.yaml next to each host's binaries.</summary>
    public const string DefaultMatrixPath = "config/quota-matrix.yaml";

    /// <summary>Parses the matrix at <paramref name="path"/> (see <see cref="Resolve"/>); fails naming the setting when it is missing.</summary>
    public static QuotaMatrix LoadMatrix(string path, string contentRoot)
    {
        var resolved = Resolve(path, contentRoot);
        if (!File.Exists(resolved))
            throw new FileNotFoundException($"Quota:MatrixPath (env Quota__MatrixPath) points at '{resolved}', which does not exist.", resolved);
        return QuotaMatrixParser.Parse(File.ReadAllText(resolved));
    }

    /// <summary>Parses the price table at <paramref name="path"/> (Quota:PricesPath); fails naming the setting when it is missing.</summary>
    public static PriceTable LoadPrices(string path, string contentRoot)
    {
        var resolved = Resolve(path, contentRoot);
        if (!File.Exists(resolved))
            throw new FileNotFoundException($"Quota:PricesPath (env Quota__PricesPath) points at '{resolved}', which does not exist.", resolved);
        return PriceTable.Parse(File.ReadAllText(resolved));
    }

    /// <summary>Relative paths are looked up next to the binaries first (where the build copies them), then under the content root.</summary>
    public static string Resolve(string path, string contentRoot)
    {
        if (Path.IsPathRooted(path)) return path;
        var besideBinaries = Path.Combine(AppContext.BaseDirectory, path);
        return File.Exists(besideBinaries) || Directory.Exists(besideBinaries) ? besideBinaries : Path.Combine(contentRoot, path);
    }
}
