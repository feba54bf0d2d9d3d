using System.Globalization;

namespace TenantQuota.LocalStripe.Wire;

/// <summary>
/// A decoded v1 form body or query string (shared/stripe/NOTES.md §2). Bracketed keys nest:
/// <c>line_items[0][price]=p</c> becomes <c>{line_items: {"0": {price: "p"}}}</c>. Arrays are maps
/// whose keys are indices (the SDKs always write them); <c>expand[]=a</c> appends.
/// </summary>
internal abstract class FormNode;

internal sealed class FormValue(string value) : FormNode
{
    public string Value { get; } = value;
}

internal sealed class FormMap : FormNode
{
    private readonly OrderedDictionary<string, FormNode> _entries = new(StringComparer.Ordinal);

    public static FormMap Empty => new();

    public IEnumerable<KeyValuePair<string, FormNode>> Entries => _entries;

    public FormNode? this[string key] => _entries.GetValueOrDefault(key);

    public bool Has(string key) => _entries.ContainsKey(key);

    public string? String(string key) => this[key] is FormValue value ? value.Value : null;

    /// <summary>A non-empty string, or null: for optional ids and urls, where "" means "none".</summary>
    public string? Text(string key) => String(key) is { Length: > 0 } text ? text : null;

    public FormMap? Map(string key) => this[key] as FormMap;

    // The parsers below run after validation against the spec, which has checked the shape.
    public long? Long(string key) => Text(key) is { } text ? long.Parse(text, CultureInfo.InvariantCulture) : null;

    public bool? Bool(string key) => Text(key) is { } text ? text == "true" : null;

    /// <summary>The elements of an array parameter in index order.</summary>
    public IReadOnlyList<FormNode> Items(string key) => this[key] is FormMap array
        ? array._entries.OrderBy(e => int.TryParse(e.Key, out var index) ? index : int.MaxValue).Select(e => e.Value).ToList()
        : [];

    public IReadOnlyList<string> Strings(string key) => Items(key).OfType<FormValue>().Select(v => v.Value).ToList();

    internal void Set(IReadOnlyList<string> path, string value, string key)
    {
        var map = this;
        for (var i = 0; i < path.Count; i++)
        {
            var segment = path[i].Length == 0 ? map._entries.Count.ToString(CultureInfo.InvariantCulture) : path[i];
            if (i == path.Count - 1)
            {
                if (map._entries.GetValueOrDefault(segment) is FormMap)
                    throw StripeError.InvalidRequest($"Invalid parameter {key}: it was given both as a value and with nested keys.", key);
                map._entries[segment] = new FormValue(value);
                return;
            }
            switch (map._entries.GetValueOrDefault(segment))
            {
                case FormMap child:
                    map = child;
                    break;
                case null:
                    var created = new FormMap();
                    map._entries[segment] = created;
                    map = created;
                    break;
                default:
                    throw StripeError.InvalidRequest($"Invalid parameter {key}: it was given both as a value and with nested keys.", key);
            }
        }
    }
}

internal static class FormDecoder
{
    /// <summary>Decodes <c>a=1&amp;b[c]=2</c>; also returns the flat pairs (for the request log and idempotency).</summary>
    public static (FormMap Root, IReadOnlyList<KeyValuePair<string, string>> Pairs) Decode(string? text)
    {
        var root = new FormMap();
        var pairs = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrEmpty(text)) return (root, pairs);

        foreach (var part in text.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            var key = Unescape(equals < 0 ? part : part[..equals]);
            var value = equals < 0 ? "" : Unescape(part[(equals + 1)..]);
            pairs.Add(new(key, value));
            root.Set(Path(key), value, key);
        }
        return (root, pairs);
    }

    private static string Unescape(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));

    /// <summary><c>a[b][0]</c> → a, b, 0. <c>a[]</c> → a, "" (append).</summary>
    private static List<string> Path(string key)
    {
        var open = key.IndexOf('[');
        if (open == 0 || key.Length == 0) throw StripeError.InvalidRequest($"Invalid parameter name: '{key}'.", key);
        if (open < 0) return [key];

        var path = new List<string> { key[..open] };
        var rest = key.AsSpan(open);
        while (rest.Length > 0)
        {
            var close = rest.IndexOf(']');
            if (rest[0] != '[' || close < 0) throw StripeError.InvalidRequest($"Invalid parameter name: '{key}'.", key);
            path.Add(rest[1..close].ToString());
            rest = rest[(close + 1)..];
        }
        return path;
    }
}
