using System.Text.Json.Nodes;

namespace TenantQuota.LocalStripe.Wire;

/// <summary>The parameters one operation accepts, e.g. <c>POST /v1/billing/meter_events</c>.</summary>
internal sealed class OperationSpec(string key, IReadOnlyDictionary<string, ParamSpec> parameters, string source)
{
    public string Key { get; } = key;
    public IReadOnlyDictionary<string, ParamSpec> Parameters { get; } = parameters;
    /// <summary>"spec subset" or "declared" (by us, in <see cref="DeclaredOperations"/>).</summary>
    public string Source { get; } = source;

    /// <summary>Unknown parameters, missing required ones and ill-shaped values answer 400 naming the parameter.</summary>
    public void Validate(FormMap form)
    {
        foreach (var (name, value) in form.Entries)
        {
            if (!Parameters.TryGetValue(name, out var spec))
                throw StripeError.InvalidRequest($"Received unknown parameter: {name}", name);
            spec.Check(value, name);
        }
        foreach (var (name, spec) in Parameters)
            if (spec.Required && !form.Has(name))
                throw StripeError.InvalidRequest($"Missing required param: {name}.", name);
    }
}

/// <summary>
/// Stripe's official spec subset (Spec/stripe-openapi-subset.json, embedded), both columns merged
/// (see <see cref="ParamSpec.Merge"/>), plus the operations we declare ourselves.
/// </summary>
internal sealed class StripeSpec
{
    private readonly Dictionary<string, OperationSpec> _operations;

    private StripeSpec(Dictionary<string, OperationSpec> operations) => _operations = operations;

    public OperationSpec Operation(string key) => _operations.TryGetValue(key, out var operation)
        ? operation
        : throw new InvalidOperationException($"No parameter list for {key}: it is neither in Spec/stripe-openapi-subset.json nor in DeclaredOperations.");

    public static StripeSpec Load()
    {
        var subset = Embedded.Json("stripe-openapi-subset.json");
        var sdk = subset["current_sdk_cross_check"]!["operations"]!.AsObject();
        var operations = new Dictionary<string, OperationSpec>(StringComparer.Ordinal);

        foreach (var (key, node) in subset["operations"]!.AsObject())
        {
            var spec = (node!["body_params"] ?? node["query_params"])?.AsObject() ?? [];
            var fromSpec = spec.ToDictionary(p => p.Key, p => ParamSpec.FromOpenApi(p.Value));
            var fromSdk = (sdk[key]?["params"] as JsonObject)?.ToDictionary(p => p.Key, p => ParamSpec.FromSdk(p.Value));
            operations[key] = new OperationSpec(key, ParamSpec.MergeAll(fromSpec, fromSdk)!, "spec subset");
        }
        foreach (var (key, tokens) in DeclaredOperations.All)
        {
            if (operations.ContainsKey(key)) throw new InvalidOperationException($"{key} is in the spec subset: do not declare it.");
            var parameters = tokens.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ParamSpec.Declared).ToDictionary(p => p.Name, p => p.Spec);
            operations[key] = new OperationSpec(key, parameters, "declared");
        }
        return new StripeSpec(operations);
    }
}

internal static class Embedded
{
    public static JsonObject Json(string file)
    {
        using var stream = typeof(Embedded).Assembly.GetManifestResourceStream($"Spec.{file}")
            ?? throw new InvalidOperationException($"Spec/{file} is not embedded in {typeof(Embedded).Assembly.GetName().Name}.");
        return JsonNode.Parse(stream)!.AsObject();
    }
}
