using System.Globalization;
using System.Text.Json.Nodes;

namespace TenantQuota.LocalStripe.Wire;

/// <summary>Helpers every resource uses: metadata updates, expansion, answers that are copies.</summary>
internal static class Objects
{
    /// <summary>
    /// <c>metadata[k]=v</c> sets, <c>metadata[k]=</c> removes one key, <c>metadata=</c> clears all (NOTES.md §2).
    /// Stripe's limits: 50 keys, keys ≤ 40 characters, values ≤ 500.
    /// </summary>
    public static void ApplyMetadata(JsonObject target, FormNode? metadata, string param = "metadata")
    {
        var current = target["metadata"] as JsonObject ?? [];
        target["metadata"] = current;
        switch (metadata)
        {
            case null:
                return;
            case FormValue { Value: "" }:
                current.Clear();
                return;
            case FormMap map:
                foreach (var (key, node) in map.Entries)
                {
                    var value = ((FormValue)node).Value;
                    if (key.Length > 40) throw StripeError.InvalidRequest($"Invalid {param}[{key}]: metadata keys are at most 40 characters.", $"{param}[{key}]");
                    if (value.Length > 500) throw StripeError.InvalidRequest($"Invalid {param}[{key}]: metadata values are at most 500 characters.", $"{param}[{key}]");
                    if (value.Length == 0) current.Remove(key);
                    else current[key] = value;
                }
                if (current.Count > 50) throw StripeError.InvalidRequest("Invalid metadata: at most 50 keys.", param);
                return;
        }
    }

    public static Dictionary<string, string> Strings(FormMap? map) =>
        map?.Entries.Where(e => e.Value is FormValue).ToDictionary(e => e.Key, e => ((FormValue)e.Value).Value, StringComparer.Ordinal) ?? [];

    public static JsonObject ToJson(IReadOnlyDictionary<string, string> values) =>
        new(values.Select(v => KeyValuePair.Create(v.Key, (JsonNode?)JsonValue.Create(v.Value))));

    /// <summary>A copy for the answer, with <c>expand[]</c> applied.</summary>
    public static JsonObject Answer(StripeCall call, JsonObject item) => Expand(call, item.DeepClone().AsObject());

    /// <summary>
    /// <c>expand[0]=customer</c> replaces an id field with the stored object; on a list, <c>data.customer</c>
    /// does it for every item; <c>a.b</c> goes deeper. Expanding anything that is not an id answers 400.
    /// </summary>
    public static JsonObject Expand(StripeCall call, JsonObject answer)
    {
        foreach (var path in call.Params.Strings("expand"))
            Expand(call.Store, answer, path.Split('.'), path);
        return answer;
    }

    private static void Expand(StripeStore store, JsonNode? node, ReadOnlySpan<string> path, string whole)
    {
        if (node is not JsonObject item || path.Length == 0) return;
        if ((string?)item["object"] == "list" && path[0] == "data")
        {
            foreach (var element in item["data"]!.AsArray()) Expand(store, element, path[1..], whole);
            return;
        }
        var field = path[0];
        if (!item.ContainsKey(field)) throw StripeError.InvalidRequest($"This property cannot be expanded ({whole}).", "expand");
        if (item[field] is JsonValue value && value.TryGetValue<string>(out var id))
            item[field] = store.FindAny(id)?.DeepClone() ?? throw StripeError.InvalidRequest($"This property cannot be expanded ({whole}).", "expand");
        else if (item[field] is not null and not JsonObject)
            throw StripeError.InvalidRequest($"This property cannot be expanded ({whole}).", "expand");
        Expand(store, item[field], path[1..], whole);
    }

    public static long? ParseLong(string? text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;
}

internal static class Modeled
{
    /// <summary>
    /// A parameter the spec allows but LocalStripe does not model answers 400 (code localstripe_unsupported)
    /// rather than being ignored: a test that passes here then means the same request does the same at Stripe.
    /// </summary>
    public static void Only(StripeCall call, params string[] modeled)
    {
        foreach (var (name, _) in call.Params.Entries)
            if (name != "expand" && !modeled.Contains(name, StringComparer.Ordinal))
                throw StripeError.NotImplemented($"the parameter '{name}' here (it is valid at Stripe)", name);
    }

    /// <summary>"" clears a string field (null), as Stripe does.</summary>
    public static void SetStrings(JsonObject target, FormMap form, params string[] names)
    {
        foreach (var name in names)
            if (form.String(name) is { } value) target[name] = value.Length == 0 ? null : value;
    }
}
