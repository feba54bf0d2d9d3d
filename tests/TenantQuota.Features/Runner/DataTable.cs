namespace TenantQuota.Features.Runner;

/// <summary>A Gherkin data table; the first row is the header, as in Reqnroll.</summary>
public sealed class DataTable
{
    public DataTable(IReadOnlyList<IReadOnlyList<string>> cells)
    {
        if (cells.Count == 0) throw new ArgumentException("A data table needs at least a header row.", nameof(cells));
        Header = cells[0];
        var duplicate = Header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Data table header repeats column '{duplicate.Key}'.", nameof(cells));
        Rows = cells.Skip(1)
            .Select(row => (IReadOnlyDictionary<string, string>)Header.Zip(row).ToDictionary(p => p.First, p => p.Second))
            .ToList();
    }

    public IReadOnlyList<string> Header { get; }

    public IReadOnlyList<IReadOnlyDictionary<string, string>> Rows { get; }

    /// <summary>Mutable copies, handy when a step wants to adjust a row before sending it somewhere.</summary>
    public List<Dictionary<string, string>> ToDictionaries() => Rows.Select(r => r.ToDictionary()).ToList();

    /// <summary>
    /// Reads a two-column "| field | value |" table vertically: first column is the key, second the value,
    /// header row excluded (Reqnroll's CreateInstance convention).
    /// </summary>
    public Dictionary<string, string> ToKeyValue()
    {
        if (Header.Count != 2) throw new InvalidOperationException($"ToKeyValue needs a two-column table, this one has {Header.Count}.");
        return Rows.ToDictionary(r => r[Header[0]], r => r[Header[1]]);
    }
}
