using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Data.Governance;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.Governance;

/// <summary>
/// GET and PUT /v1/tenant/cell-alerts (tenant.admin): <c>{ "summaries": [0.8, 1.0] }</c>, per operation class the shares of
/// each person's cell limit at which the worker raises alert.threshold_crossed (level subject) for that person.
/// </summary>
public static class CellAlertsEndpoints
{
    public static async Task<Ok<IReadOnlyDictionary<string, decimal[]>>> Get(TenantContext caller, CellAlerts alerts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await alerts.ReadAsync(caller.TenantId, cancellationToken));

    public static async Task<Results<Ok<IReadOnlyDictionary<string, decimal[]>>, ValidationProblem>> Put(JsonElement? body, TenantContext caller,
        ClaimsPrincipal user, QuotaMatrix matrix, CellAlerts alerts, CancellationToken cancellationToken)
    {
        if (body is not { ValueKind: JsonValueKind.Object } json)
            return Problems.Validation("body", "A JSON object: operation class → thresholds, e.g. { \"summaries\": [0.8, 1.0] }; {} for none.");
        var errors = new Dictionary<string, string[]>();
        var thresholds = new SortedDictionary<string, decimal[]>(StringComparer.Ordinal);
        foreach (var property in json.EnumerateObject())
        {
            if (!matrix.TryGetClass(property.Name, out _))
                errors[property.Name] = [$"'{property.Name}' is not an operation class ({string.Join(", ", matrix.OperationClasses.Select(c => c.Name))})."];
            else if (property.Value.ValueKind == JsonValueKind.Array && property.Value.GetArrayLength() == 0)
                errors[property.Name] = [$"{property.Name}: at least one threshold; leave the class out for none."];
            else
                thresholds[property.Name] = [.. BudgetParser.ParseThresholds(property.Value, property.Name, errors)];
        }
        if (errors.Count > 0) return Problems.Validation(errors);
        await alerts.PutAsync(caller.TenantId, thresholds, Actor.Of(user), cancellationToken);
        return TypedResults.Ok<IReadOnlyDictionary<string, decimal[]>>(thresholds);
    }
}
