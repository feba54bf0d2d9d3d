using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Hosting;
using TenantQuota.Data;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.Tenants;

/// <summary>
/// GET/PUT /v1/tenants/{id}/overrides (platform.admin): a tenant's matrix overrides, for enterprise deals.
/// The body maps operation classes to the cell fields that replace the tier's (softLimit, hardLimit,
/// overQuota, fallbackClass), in every tier; PUT replaces them all ({} removes them). They are checked
/// like the matrix, every problem named; they apply from the tenant's next request in every process.
/// </summary>
public static class TenantOverridesEndpoints
{
    private static readonly string[] Fields = ["softLimit", "hardLimit", "overQuota", "fallbackClass"];

    /// <summary>How many people with overrides of their own a new deal is checked against (all of them, in any real tenant).</summary>
    private const int MaxSubjectsChecked = 10_000;

    public static RouteGroupBuilder MapTenantOverrides(this RouteGroupBuilder v1)
    {
        var overrides = v1.MapGroup("/tenants/{id}/overrides").RequireAuthorization(Scopes.PlatformAdmin).WithTags("Tenants");
        overrides.MapGet("/", Get).WithName("GetTenantOverrides").WithSummary("Read a tenant's matrix overrides")
            .WithDescription("Per operation class, the cell fields that replace the tier's for this tenant. Scope platform.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        overrides.MapPut("/", Set).WithName("SetTenantOverrides").WithSummary("Set a tenant's matrix overrides (enterprise deals)")
            .WithDescription("{ \"deep_research\": { \"hardLimit\": 500, \"overQuota\": \"overage\" } } replaces every override of the tenant " +
                "({} removes them). Fields: softLimit, hardLimit, overQuota (block, degrade, overage, warn), fallbackClass (for degrade); " +
                "the reset cadence stays the tier's. They apply whatever the tenant's tier, so they are checked like the matrix in every tier " +
                "(lowering a hardLimit may need a softLimit too): each problem names tier, class and field. Applies " +
                "from the tenant's next request in every API process, and is written to the audit log. Scope platform.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound).AcceptsJsonBody();
        return v1;
    }

    public static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> Get(string id, TenantOverrides overrides, CancellationToken cancellationToken) =>
        await overrides.GetAsync(id, cancellationToken) is { } found ? TypedResults.Ok(found) : UnknownTenant(id);

    public static async Task<Results<Ok<JsonObject>, ValidationProblem, ProblemHttpResult>> Set(
        string id, JsonElement? body, ClaimsPrincipal user, QuotaMatrix matrix, TenantOverrides overrides, TenantBudgets budgets, TenantDirectory directory,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        if (body is not { ValueKind: JsonValueKind.Object } json)
            return Problems.Validation("body", "A JSON object is required: { \"<class>\": { \"hardLimit\": 500, … } } ({} removes every override).");
        var errors = new Dictionary<string, string[]>();
        var (parsed, stored) = ParseOverrides(json, "", errors);
        if (errors.Count == 0)
            foreach (var problem in QuotaMatrixParser.OverrideErrors(matrix, parsed)) errors[$"overrides[{errors.Count}]"] = [problem];
        // People with overrides of their own get this deal underneath them: what they make together must hold too.
        if (errors.Count == 0)
            foreach (var (subject, own) in await budgets.SubjectOverridesAsync(id, MaxSubjectsChecked, cancellationToken))
                if (QuotaMatrixParser.OverrideErrors(matrix, parsed.Then(own)) is [var first, ..])
                    errors[$"subjects.{subject}"] = [$"subject '{subject}' has overrides of its own that this deal would break: {first}"];
        if (errors.Count > 0) return Problems.Validation(errors);

        if (!await overrides.SetAsync(id, stored, Actor.Of(user), clock.GetUtcNow(), cancellationToken)) return UnknownTenant(id);
        directory.Forget(id);
        return TypedResults.Ok(stored);
    }

    /// <summary>
    /// Reads { class: { softLimit, hardLimit, overQuota, fallbackClass } } (already a JSON object); each problem is
    /// added to <paramref name="errors"/> under <paramref name="prefix"/>class.field. Answers the overrides as the
    /// domain uses them and as stored. Checking them against the matrix is the caller's (tenant's or subject's).
    /// </summary>
    public static (Dictionary<string, CellOverride> Parsed, JsonObject Stored) ParseOverrides(JsonElement json, string prefix, Dictionary<string, string[]> errors)
    {
        var parsed = new Dictionary<string, CellOverride>(StringComparer.Ordinal);
        var stored = new JsonObject();
        foreach (var entry in json.EnumerateObject())
        {
            var at = entry.Name;
            if (entry.Value.ValueKind != JsonValueKind.Object) { errors[prefix + at] = [$"class '{at}': an object of cell fields ({string.Join(", ", Fields)})."]; continue; }
            var fields = entry.Value.EnumerateObject().ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);
            foreach (var unknown in fields.Keys.Where(f => !Fields.Contains(f)))
                errors[$"{prefix}{at}.{unknown}"] = [$"class '{at}', field '{unknown}': not overridable ({string.Join(", ", Fields)}; the reset stays the tier's)."];
            var soft = Limit(fields, "softLimit", at, prefix, errors);
            var hard = Limit(fields, "hardLimit", at, prefix, errors);
            OverQuotaAction? action = null;
            if (fields.TryGetValue("overQuota", out var a))
                if (a.ValueKind == JsonValueKind.String && OverQuotaActions.TryParse(a.GetString(), out var parsedAction)) action = parsedAction;
                else errors[$"{prefix}{at}.overQuota"] = [$"class '{at}', field 'overQuota': one of block, degrade, overage, warn."];
            string? fallback = null;
            if (fields.TryGetValue("fallbackClass", out var f))
                if (f.ValueKind == JsonValueKind.String) fallback = f.GetString();
                else errors[$"{prefix}{at}.fallbackClass"] = [$"class '{at}', field 'fallbackClass': the name of an operation class."];
            if (fields.Count == 0) errors[prefix + at] = [$"class '{at}': give at least one of {string.Join(", ", Fields)}."];
            parsed[at] = new CellOverride(soft, hard, action, fallback);
            stored[at] = JsonNode.Parse(entry.Value.GetRawText());
        }
        return (parsed, stored);
    }

    private static long? Limit(Dictionary<string, JsonElement> fields, string name, string at, string prefix, Dictionary<string, string[]> errors)
    {
        if (!fields.TryGetValue(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var limit) && limit is >= 0 and <= QuotaMatrixParser.MaxLimit) return limit;
        errors[$"{prefix}{at}.{name}"] = [$"class '{at}', field '{name}': a whole number from 0 to {QuotaMatrixParser.MaxLimit}."];
        return null;
    }

    private static ProblemHttpResult UnknownTenant(string id) => Problems.NotFound($"There is no tenant '{id}'.");
}
