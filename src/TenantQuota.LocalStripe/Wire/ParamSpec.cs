using System.Globalization;
using System.Text.Json.Nodes;

namespace TenantQuota.LocalStripe.Wire;

internal enum ParamKind { Any, String, Integer, Number, Boolean, Object, Map, Array, AnyOf }

/// <summary>
/// What one parameter may hold, read from either column of the spec subset: the 2024-04-10 OpenAPI
/// excerpt (<see cref="FromOpenApi"/>) or the current SDK's types (<see cref="FromSdk"/>), merged by
/// <see cref="Merge"/>. <see cref="Check"/> validates a decoded form value against it.
/// </summary>
internal sealed class ParamSpec
{
    public ParamKind Kind { get; private init; }
    public bool Required { get; private init; }
    /// <summary>"" clears the value (<c>metadata=</c>, NOTES.md §2).</summary>
    public bool EmptyUnsets { get; private init; }
    public int? MaxLength { get; private init; }
    public IReadOnlySet<string>? Enum { get; private init; }
    public IReadOnlyDictionary<string, ParamSpec>? Properties { get; private init; }
    /// <summary>Array elements, or map values.</summary>
    public ParamSpec? Items { get; private init; }
    public IReadOnlyList<ParamSpec>? Alternatives { get; private init; }

    public static readonly ParamSpec Anything = new() { Kind = ParamKind.Any };

    public static ParamSpec FromOpenApi(JsonNode? node)
    {
        if (node is not JsonObject n) return Anything;
        var required = n["required"]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        var emptyUnsets = n["unset_with_empty_string"]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        if (n["anyOf"] is JsonArray anyOf)
            return new() { Kind = ParamKind.AnyOf, Required = required, EmptyUnsets = emptyUnsets, Alternatives = anyOf.Select(FromOpenApi).ToList() };

        var type = (string?)n["type"];
        return type switch
        {
            "string" => new()
            {
                Kind = ParamKind.String, Required = required, EmptyUnsets = emptyUnsets,
                MaxLength = (int?)n["maxLength"],
                Enum = n["enum"] is JsonArray values ? values.Select(v => (string)v!).ToHashSet() : null,
            },
            "integer" => new() { Kind = ParamKind.Integer, Required = required, EmptyUnsets = emptyUnsets },
            "number" => new() { Kind = ParamKind.Number, Required = required, EmptyUnsets = emptyUnsets },
            "boolean" => new() { Kind = ParamKind.Boolean, Required = required, EmptyUnsets = emptyUnsets },
            "array" => new() { Kind = ParamKind.Array, Required = required, EmptyUnsets = emptyUnsets, Items = FromOpenApi(n["items"]) },
            "object" when n["properties"] is JsonObject properties => new()
            {
                Kind = ParamKind.Object, Required = required, EmptyUnsets = emptyUnsets,
                Properties = properties.ToDictionary(p => p.Key, p => FromOpenApi(p.Value)),
            },
            // The subset cut deep schemas at a depth limit ("... (depth limit)"): anything goes below.
            "object" when n["properties"] is not null => new() { Kind = ParamKind.Any, Required = required },
            "object" => new()
            {
                Kind = ParamKind.Map, Required = required, EmptyUnsets = emptyUnsets,
                Items = n["additionalProperties"] is JsonObject values ? FromOpenApi(values) : Anything,
            },
            _ => new() { Kind = ParamKind.Any, Required = required },
        };
    }

    /// <summary>From <c>current_sdk_cross_check</c>: TypeScript type names, <c>fields</c> and <c>values</c>.</summary>
    public static ParamSpec FromSdk(JsonNode? node)
    {
        if (node is not JsonObject n) return Anything;
        var required = n["required"]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        var type = (string?)n["type"] ?? "";
        var emptyUnsets = type.Contains("Emptyable<", StringComparison.Ordinal);
        var fields = n["fields"] as JsonObject;
        var values = n["values"] as JsonArray;

        ParamSpec Element()
        {
            if (fields is not null) return new() { Kind = ParamKind.Object, Properties = fields.ToDictionary(f => f.Key, f => FromSdk(f.Value)) };
            if (values is not null) return new() { Kind = ParamKind.String, Enum = values.Select(v => (string)v!).ToHashSet() };
            return Scalar(type);
        }

        if (type.Contains("Array<", StringComparison.Ordinal))
            return new() { Kind = ParamKind.Array, Required = required, EmptyUnsets = emptyUnsets, Items = Element() };
        if (type.Contains("MetadataParam", StringComparison.Ordinal) || type.Contains("[key: string]", StringComparison.Ordinal))
            return new() { Kind = ParamKind.Map, Required = required, EmptyUnsets = emptyUnsets, Items = new() { Kind = ParamKind.String } };
        var element = Element();
        return new()
        {
            Kind = element.Kind, Required = required, EmptyUnsets = emptyUnsets,
            Enum = element.Enum, Properties = element.Properties,
        };
    }

    private static ParamSpec Scalar(string type)
    {
        var bare = type.Replace("Stripe.", "", StringComparison.Ordinal).Replace("Emptyable<", "", StringComparison.Ordinal).TrimEnd('>');
        if (bare.StartsWith('\'') && !bare.Contains('|')) return new() { Kind = ParamKind.String, Enum = new HashSet<string> { bare.Trim('\'') } };
        return bare switch
        {
            "string" => new() { Kind = ParamKind.String },
            "number" => new() { Kind = ParamKind.Number },
            "boolean" => new() { Kind = ParamKind.Boolean },
            _ => Anything,
        };
    }

    /// <summary>
    /// Declared by us (<see cref="DeclaredOperations"/>): <c>name</c>, <c>name:integer</c>, <c>name:boolean</c>,
    /// <c>name:string[]</c>, <c>name:map</c> (string values, "" clears), <c>name:any</c>; a trailing <c>!</c> = required.
    /// </summary>
    public static (string Name, ParamSpec Spec) Declared(string token)
    {
        var required = token.EndsWith('!');
        var parts = token.TrimEnd('!').Split(':');
        var spec = (parts.Length > 1 ? parts[1] : "string") switch
        {
            "string" => new ParamSpec { Kind = ParamKind.String, Required = required },
            "integer" => new ParamSpec { Kind = ParamKind.Integer, Required = required },
            "boolean" => new ParamSpec { Kind = ParamKind.Boolean, Required = required },
            "string[]" => new ParamSpec { Kind = ParamKind.Array, Required = required, Items = new() { Kind = ParamKind.String } },
            "map" => new ParamSpec { Kind = ParamKind.Map, Required = required, EmptyUnsets = true, Items = new() { Kind = ParamKind.String } },
            "any" => new ParamSpec { Kind = ParamKind.Any, Required = required },
            var other => throw new InvalidOperationException($"Unknown parameter kind '{other}' in '{token}'."),
        };
        return (parts[0], spec);
    }

    /// <summary>
    /// One schema from both columns: a parameter or enum value either knows is accepted; a parameter is
    /// required only when both require it (2024's required <c>customer</c> on portal sessions is optional now).
    /// </summary>
    public static ParamSpec Merge(ParamSpec? openApi, ParamSpec? sdk)
    {
        if (openApi is null) return sdk ?? Anything;
        if (sdk is null) return openApi;
        if (sdk.Kind != ParamKind.Any && openApi.Kind != sdk.Kind && openApi.Kind != ParamKind.AnyOf)
            // The columns disagree on the shape (e.g. a string became an object): accept either.
            return new() { Kind = ParamKind.AnyOf, Required = openApi.Required && sdk.Required, EmptyUnsets = openApi.EmptyUnsets || sdk.EmptyUnsets, Alternatives = [openApi, sdk] };

        return new()
        {
            Kind = openApi.Kind,
            Required = openApi.Required && sdk.Required,
            EmptyUnsets = openApi.EmptyUnsets || sdk.EmptyUnsets,
            MaxLength = openApi.MaxLength,
            // An SDK type we cannot read (Any) says nothing about the values: keep the spec's enum.
            Enum = sdk.Kind == ParamKind.Any ? openApi.Enum
                : openApi.Enum is null || sdk.Enum is null ? null : openApi.Enum.Union(sdk.Enum).ToHashSet(),
            Properties = MergeAll(openApi.Properties, sdk.Properties),
            Items = openApi.Items is null ? sdk.Items : Merge(openApi.Items, sdk.Items),
            Alternatives = openApi.Alternatives,
        };
    }

    public static IReadOnlyDictionary<string, ParamSpec>? MergeAll(IReadOnlyDictionary<string, ParamSpec>? openApi, IReadOnlyDictionary<string, ParamSpec>? sdk)
    {
        if (openApi is null || sdk is null) return openApi ?? sdk;
        return openApi.Keys.Union(sdk.Keys).ToDictionary(k => k, k => Merge(openApi.GetValueOrDefault(k), sdk.GetValueOrDefault(k)));
    }

    /// <summary>Throws a 400 <see cref="StripeError"/> naming <paramref name="path"/> when the value does not fit.</summary>
    public void Check(FormNode node, string path)
    {
        if (node is FormValue { Value: "" } && (EmptyUnsets || (Kind is ParamKind.String or ParamKind.Any && Enum is null))) return;

        switch (Kind)
        {
            case ParamKind.Any:
                return;
            case ParamKind.AnyOf:
                StripeError? first = null;
                foreach (var alternative in Alternatives!)
                {
                    try { alternative.Check(node, path); return; }
                    catch (StripeError error) { first ??= error; }
                }
                throw first!;
            case ParamKind.String:
                var text = Scalar(node, path, "string");
                if (MaxLength is { } max && text.Length > max)
                    throw StripeError.InvalidRequest($"Invalid {path}: must be at most {max} characters", path);
                if (Enum is not null && !Enum.Contains(text))
                    throw StripeError.InvalidRequest($"Invalid {path}: must be one of {string.Join(", ", Enum.Order(StringComparer.Ordinal))}", path);
                return;
            case ParamKind.Integer:
                if (!long.TryParse(Scalar(node, path, "integer"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                    throw StripeError.InvalidRequest($"Invalid integer: {((FormValue)node).Value}", path);
                return;
            case ParamKind.Number:
                if (!decimal.TryParse(Scalar(node, path, "number"), NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    throw StripeError.InvalidRequest($"Invalid decimal: {((FormValue)node).Value}", path);
                return;
            case ParamKind.Boolean:
                if (Scalar(node, path, "boolean") is not ("true" or "false"))
                    throw StripeError.InvalidRequest($"Invalid boolean: {((FormValue)node).Value}", path);
                return;
            case ParamKind.Object:
                var fields = Nested(node, path, "object");
                foreach (var (key, value) in fields.Entries)
                {
                    if (!Properties!.TryGetValue(key, out var property))
                        throw StripeError.InvalidRequest($"Received unknown parameter: {path}[{key}]", $"{path}[{key}]");
                    property.Check(value, $"{path}[{key}]");
                }
                foreach (var (key, property) in Properties!)
                    if (property.Required && !fields.Has(key))
                        throw StripeError.InvalidRequest($"Missing required param: {path}[{key}].", $"{path}[{key}]");
                return;
            case ParamKind.Map:
                foreach (var (key, value) in Nested(node, path, "hash").Entries)
                    Items!.Check(value, $"{path}[{key}]");
                return;
            case ParamKind.Array:
                foreach (var (key, value) in Nested(node, path, "array").Entries)
                {
                    if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                        throw StripeError.InvalidRequest($"Invalid array: {path} takes indices ({path}[0], {path}[1], ...), not [{key}]", path);
                    Items!.Check(value, $"{path}[{key}]");
                }
                return;
        }
    }

    private static string Scalar(FormNode node, string path, string kind) => node is FormValue value
        ? value.Value
        : throw StripeError.InvalidRequest($"Invalid {kind}: {path} must be a single value, not nested keys", path);

    private static FormMap Nested(FormNode node, string path, string kind) => node as FormMap
        ?? throw StripeError.InvalidRequest($"Invalid {kind}: {path} must be given with nested keys ({path}[...])", path);
}
