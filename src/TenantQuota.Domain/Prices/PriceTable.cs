using System.Globalization;
using System.Text.RegularExpressions;
using NodaTime;
using TenantQuota.Domain.Matrix;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace TenantQuota.Domain.Prices;

/// <summary>A model's price from a date on: US dollars per million input and per million output tokens.</summary>
public sealed record ModelPrice(LocalDate From, decimal InputPerMillion, decimal OutputPerMillion);

/// <summary>A price file that cannot be used; every message names the model, entry and field at fault.</summary>
public sealed class PriceTableException(IReadOnlyList<string> errors)
    : Exception("The price table is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// config/prices.yaml: what each model costs, with the dates prices change, versioned with the code
/// (the contract between finance and engineering, like the matrix). Money is decimal while computed
/// and whole micro-dollars (long) once charged: never double. One request is charged
/// <see cref="CostMicroUsd"/>: its exact cost, rounded up once to the micro-dollar (ADR 0012).
/// </summary>
public sealed partial class PriceTable
{
    public const decimal MicrosPerDollar = 1_000_000m;
    private const decimal TokensPerPriceUnit = 1_000_000m;

    private readonly Dictionary<string, IReadOnlyList<ModelPrice>> _models;

    private PriceTable(string version, Dictionary<string, IReadOnlyList<ModelPrice>> models) => (Version, _models) = (version, models);

    public string Version { get; }

    public IReadOnlyCollection<string> Models => _models.Keys;

    public bool Knows(string? model) => model is not null && _models.ContainsKey(model);

    /// <summary>This table, after checking that every model the matrix lets a tier call has a price here.</summary>
    public PriceTable CheckedAgainst(QuotaMatrix matrix)
    {
        var unknown = matrix.ModelsByTier.SelectMany(t => t.Value.Where(m => !Knows(m)).Select(m => $"tier '{t.Key}', field 'models': '{m}' is not a model of the price table")).ToList();
        return unknown.Count == 0 ? this : throw new QuotaMatrixException(unknown);
    }

    /// <summary>The price in force for <paramref name="model"/> on <paramref name="day"/> (UTC), or null before its first price.</summary>
    public ModelPrice? PriceOn(string model, LocalDate day) => _models[model].LastOrDefault(p => p.From <= day);

    /// <summary>
    /// What <paramref name="inputTokens"/> and <paramref name="outputTokens"/> of <paramref name="model"/> cost at
    /// <paramref name="at"/>, in micro-dollars: the exact decimal cost, rounded up once, so a budget is never
    /// charged less than the work cost (at most one micro-dollar more per request). Null before the model's first price.
    /// </summary>
    public long? CostMicroUsd(string model, long inputTokens, long outputTokens, Instant at)
    {
        if (PriceOn(model, at.InUtc().Date) is not { } price) return null;
        var dollars = (inputTokens * price.InputPerMillion + outputTokens * price.OutputPerMillion) / TokensPerPriceUnit;
        return (long)decimal.Ceiling(dollars * MicrosPerDollar);
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,99}\z")]
    private static partial Regex ModelName();

    public static PriceTable Parse(string yaml)
    {
        PriceFile file;
        try
        {
            file = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).WithDuplicateKeyChecking().Build()
                .Deserialize<PriceFile?>(yaml) ?? new PriceFile();
        }
        catch (YamlException e)
        {
            throw new PriceTableException([$"line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}"]);
        }

        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(file.Version)) errors.Add("field 'version': required (for example \"2026-11-01\")");
        if (file.Models is not { Count: > 0 }) errors.Add("field 'models': at least one model is required");
        var models = new Dictionary<string, IReadOnlyList<ModelPrice>>(StringComparer.Ordinal);
        foreach (var (name, entries) in file.Models ?? [])
        {
            var at = $"model '{name}'";
            if (!ModelName().IsMatch(name)) errors.Add($"{at}: a model name is lower case letters, digits, '.', '_' and '-'");
            if (entries is not { Count: > 0 }) { errors.Add($"{at}: needs at least one price"); continue; }
            var prices = new List<ModelPrice>();
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i] ?? new PriceEntry();
                var where = $"{at}, price {i + 1}";
                LocalDate? from = DateTime.TryParseExact(entry.From, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                    ? LocalDate.FromDateTime(day) : null;
                if (from is null) errors.Add($"{where}, field 'from': a date like 2026-01-01 (UTC), not '{entry.From}'");
                var input = Dollars(entry.Input, $"{where}, field 'input'", errors);
                var output = Dollars(entry.Output, $"{where}, field 'output'", errors);
                if (from is { } f && prices.Count > 0 && f <= prices[^1].From) errors.Add($"{where}, field 'from': dates must increase ({f} is not after {prices[^1].From})");
                if (from is { } date && input is { } i2 && output is { } o) prices.Add(new ModelPrice(date, i2, o));
            }
            models[name] = prices;
        }
        if (errors.Count > 0) throw new PriceTableException(errors);
        return new PriceTable(file.Version!, models);
    }

    /// <summary>A price as written (read as text, never through double): at least 0, at most 6 decimals, below a million dollars.</summary>
    private static decimal? Dollars(string? text, string where, List<string> errors)
    {
        if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value < 1_000_000m && value.Scale <= 6)
            return value;
        errors.Add($"{where}: US dollars per million tokens, 0 or more with at most 6 decimals, not '{text}'");
        return null;
    }

    private sealed class PriceFile
    {
        public string? Version { get; set; }
        public Dictionary<string, List<PriceEntry?>?>? Models { get; set; }
    }

    private sealed class PriceEntry
    {
        public string? From { get; set; }
        public string? Input { get; set; }
        public string? Output { get; set; }
    }
}
