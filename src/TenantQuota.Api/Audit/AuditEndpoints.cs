using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Data.Audit;

namespace TenantQuota.Api.Audit;

public sealed record AuditItem(long Id, string Kind, string Action, string? Target, string Actor, DateTime At, JsonNode? Before, JsonNode? After);

/// <param name="Next">The cursor of the next (older) page: pass it as before; null on the last page.</param>
public sealed record AuditPage(IReadOnlyList<AuditItem> Items, string? Next);

/// <summary>GET /v1/tenant/audit (tenant.admin): the tenant's audit log, newest first, a page at a time.</summary>
public static class AuditEndpoints
{
    private const int DefaultLimit = 50, MaxLimit = 200;

    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder v1)
    {
        v1.MapGet("/tenant/audit", Read)
            .RequireAuthorization(Scopes.TenantAdmin)
            .WithTags("Tenants")
            .WithName("GetAuditLog")
            .WithSummary("Read your tenant's audit log")
            .WithDescription("Changes of tier, API clients, allowed origins, matrix overrides, budgets, departments, a person's department and " +
                "overrides, and webhook endpoints (kinds tier, client, allowed_origins, override, budget, department, subject, webhook): kind, " +
                "action, target, actor (the client id, or stripe:<event> for a Stripe webhook), time, before and after. Newest first; " +
                "filter by kind and by time (from, to: ISO 8601 instants); limit 1–200 (default 50); page with before=<next>. " +
                "Append-only: the database refuses to change or delete an entry. Scope tenant.admin.");
        return v1;
    }

    public static async Task<Results<Ok<AuditPage>, ValidationProblem>> Read(string? kind, string? from, string? to, string? before, int? limit,
        TenantContext caller, AuditLog audit, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (kind is not null && !AuditLog.Kinds.Contains(kind)) errors["kind"] = [$"kind must be one of {string.Join(", ", AuditLog.Kinds)}."];
        var start = QueryValues.Instant(from, "from", errors);
        var end = QueryValues.Instant(to, "to", errors);
        long? cursor = null;
        if (before is not null)
            if (long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) cursor = id;
            else errors["before"] = ["before is the next cursor of a previous page."];
        if (limit is < 1 or > MaxLimit) errors["limit"] = [$"limit must be between 1 and {MaxLimit}."];
        if (errors.Count > 0) return Problems.Validation(errors);

        var take = limit ?? DefaultLimit;
        var records = await audit.ReadAsync(caller.TenantId, kind, start, end, cursor, take + 1, cancellationToken);
        var page = records.Take(take).Select(r => new AuditItem(r.Id, r.Kind, r.Action, r.Target, r.Actor, r.At.UtcDateTime, r.Before, r.After)).ToList();
        return TypedResults.Ok(new AuditPage(page, records.Count > take ? page[^1].Id.ToString(CultureInfo.InvariantCulture) : null));
    }
}
