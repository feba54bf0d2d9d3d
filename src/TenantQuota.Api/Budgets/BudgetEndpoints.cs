using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Entitlements;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Hosting;
using TenantQuota.Api.Tenants;
using TenantQuota.Data;
using TenantQuota.Domain;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Governance;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.Budgets;

/// <summary>
/// A budget with where it stands in its current period: <see cref="Spent"/> is recorded, <see cref="Held"/> is held
/// by open reservations; both count against <see cref="Remaining"/>. Amounts in the budget's unit (dollars for usd).
/// </summary>
public sealed record BudgetStanding(
    decimal Limit, string Unit, string Period, string OverQuota, string? FallbackClass, IReadOnlyList<decimal> AlertThresholds,
    decimal Spent, decimal Held, decimal Remaining, DateTime ResetsAt, string State, ForecastResponse? Forecast = null, string? FallbackModel = null);

/// <summary>
/// Where the period is expected to end (docs/decisions/0021): <see cref="Projected"/> within <see cref="Low"/>–<see cref="High"/>
/// (80 %), and the UTC day it would reach <see cref="Limit"/>, or null. None for rolling periods, which never end.
/// </summary>
public sealed record ForecastResponse(decimal Projected, decimal Low, decimal High, decimal Limit, DateOnly? OverrunOn);

public sealed record DepartmentResponse(string Id, string Name, string Priority, BudgetStanding? Budget, long Members, IReadOnlyList<string>? Models)
{
    /// <summary>The contract names the department's forecast beside its budget.</summary>
    public ForecastResponse? Forecast => Budget?.Forecast;
}

public sealed record DepartmentsResponse(IReadOnlyList<DepartmentResponse> Departments);

public sealed class DepartmentRequest
{
    public string? Name { get; init; }
    public JsonElement? Budget { get; init; }
    public string? Priority { get; init; }
    /// <summary>The models its people may call; null or absent for any their tier allows.</summary>
    public List<string>? Models { get; init; }
}

public sealed class SubjectRequest
{
    public string? DepartmentId { get; init; }
    public JsonElement? Overrides { get; init; }
    /// <summary>The models this person may call; null or absent for any their tier and department allow.</summary>
    public List<string>? Models { get; init; }
}

public sealed record SubjectResponse(string SubjectId, string? DepartmentId, JsonObject Overrides, IReadOnlyList<string>? Models);

/// <summary>
/// The tenant's own budgets (scope tenant.admin): the tenant-wide budget, departments with a budget and a
/// priority, and subjects placed in departments with their own matrix overrides. Every change applies from
/// the next request in every API process and is written to the audit log.
/// </summary>
public static partial class BudgetEndpoints
{
    private const int MaxNameLength = 100;

    public static RouteGroupBuilder MapBudgets(this RouteGroupBuilder v1)
    {
        var tenant = v1.MapGroup("/tenant").RequireAuthorization(Scopes.TenantAdmin).WithTags("Budgets");
        tenant.MapGet("/budget", GetBudget).WithName("GetTenantBudget").WithSummary("Read your tenant-wide budget and what is spent of it")
            .WithDescription("The budget with spent (recorded), held (by open reservations), remaining and resetsAt in its current period; " +
                "404 when the tenant has none. Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapPut("/budget", SetBudget).WithName("SetTenantBudget").WithSummary("Set your tenant-wide budget")
            .WithDescription("{ \"limit\": 5000, \"unit\": \"usd\", \"period\": \"monthly\", \"overQuota\": \"block\", \"alertThresholds\": [0.7, 0.9, 1.0] }. " +
                "unit: usd (dollars, at most six decimals; charged from the model price table), tokens, or an operation class's unit; period: " +
                "daily, weekly (Monday) or monthly, in the tenant's time zone; overQuota: block, degrade (with fallbackClass) or warn. Departments " +
                "use it by priority: low ones meet overQuota past 80% of it, normal ones past 90%, high ones at 100%. Scope tenant.admin.")
            .AcceptsJsonBody();
        tenant.MapDelete("/budget", RemoveBudget).WithName("RemoveTenantBudget").WithSummary("Remove your tenant-wide budget")
            .WithDescription("From the next request on, nothing is charged against a tenant-wide budget; what was spent stays in the records. Audited. Scope tenant.admin.");
        tenant.MapGet("/departments", ListDepartments).WithName("ListDepartments")
            .WithSummary("Your departments, each with its budget, spent, remaining and resetsAt")
            .WithDescription("Every department with its priority, member count and budget standing in the current period (null budget: none). Scope tenant.admin.");
        tenant.MapGet("/departments/{departmentId}", GetDepartment).WithName("GetDepartment").WithSummary("One department")
            .WithDescription("As in the list. Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapPut("/departments/{departmentId}", PutDepartment).WithName("PutDepartment").WithSummary("Create or replace a department")
            .WithDescription("{ \"name\": \"Marketing\", \"budget\": { \"limit\": 1000, \"unit\": \"usd\", \"period\": \"monthly\", \"overQuota\": " +
                "\"degrade\", \"fallbackClass\": \"drafts\" }, \"priority\": \"normal\" }. budget may be null (the department only groups people); " +
                "priority is high, normal (default) or low. Ids: letters, digits, '.', '_' and '-', up to 64. 201 when created. Scope tenant.admin.")
            .AcceptsJsonBody();
        tenant.MapGet("/subjects/{subjectId}", GetSubject).WithName("GetSubjectSettings").WithSummary("A subject's department and own overrides")
            .WithDescription("departmentId null and overrides {} for a subject nobody placed. Scope tenant.admin.");
        tenant.MapPut("/subjects/{subjectId}", PutSubject).WithName("PutSubjectSettings")
            .WithSummary("Place a person in a department and override matrix cells for them")
            .WithDescription("{ \"departmentId\": \"marketing\", \"overrides\": { \"summaries\": { \"hardLimit\": 50 } } }. departmentId null takes " +
                "them out of any department. A move keeps what they used; what the old department spent stays spent. Overrides are checked like " +
                "the matrix on top of the tenant's own deal, in every tier. Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound).AcceptsJsonBody();
        return v1;
    }

    public static async Task<Results<Ok<BudgetStanding>, ProblemHttpResult>> GetBudget(
        TenantContext caller, EntitlementDependencies deps, CancellationToken cancellationToken)
    {
        var tenant = await Tenant(caller, deps, cancellationToken);
        if (tenant.Budget is null) return Problems.NotFound("Your tenant has no tenant-wide budget; PUT /v1/tenant/budget sets one.");
        return TypedResults.Ok((await StandingsAsync(deps, tenant, [(QuotaLevel.Tenant, tenant.Id, tenant.Budget)], cancellationToken))[0]!);
    }

    public static async Task<Results<Ok<BudgetStanding>, ValidationProblem>> SetBudget(
        JsonElement? body, TenantContext caller, ClaimsPrincipal user, EntitlementDependencies deps, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (body is not { } json || BudgetParser.Parse(json, deps.Matrix, "budget", errors, deps.Prices.Models) is not { } budget)
            return Problems.Validation(Required(errors));
        await deps.Budgets.SetTenantBudgetAsync(caller.TenantId, budget, Actor.Of(user), clock.GetUtcNow(), cancellationToken);
        deps.Tenants.Forget(caller.TenantId);
        var tenant = await Tenant(caller, deps, cancellationToken);
        return TypedResults.Ok((await StandingsAsync(deps, tenant, [(QuotaLevel.Tenant, tenant.Id, budget)], cancellationToken))[0]!);
    }

    public static async Task<NoContent> RemoveBudget(
        TenantContext caller, ClaimsPrincipal user, EntitlementDependencies deps, TimeProvider clock, CancellationToken cancellationToken)
    {
        await deps.Budgets.SetTenantBudgetAsync(caller.TenantId, null, Actor.Of(user), clock.GetUtcNow(), cancellationToken);
        deps.Tenants.Forget(caller.TenantId);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<DepartmentsResponse>> ListDepartments(TenantContext caller, EntitlementDependencies deps, CancellationToken cancellationToken)
    {
        var tenant = await Tenant(caller, deps, cancellationToken);
        return TypedResults.Ok(new DepartmentsResponse(await DepartmentsAsync(deps, tenant, null, cancellationToken)));
    }

    public static async Task<Results<Ok<DepartmentResponse>, ProblemHttpResult>> GetDepartment(
        string departmentId, TenantContext caller, EntitlementDependencies deps, CancellationToken cancellationToken)
    {
        var tenant = await Tenant(caller, deps, cancellationToken);
        return (await DepartmentsAsync(deps, tenant, departmentId, cancellationToken)) is [var found]
            ? TypedResults.Ok(found)
            : Problems.NotFound($"Your tenant has no department '{Short(departmentId)}'.");
    }

    public static async Task<Results<Created<DepartmentResponse>, Ok<DepartmentResponse>, ValidationProblem>> PutDepartment(
        string departmentId, DepartmentRequest? request, TenantContext caller, ClaimsPrincipal user, EntitlementDependencies deps, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!DepartmentId().IsMatch(departmentId))
            errors["departmentId"] = ["departmentId: 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit."];
        if (request is null) return Problems.Validation(Required(errors));
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
            errors["name"] = [$"name: 1–{MaxNameLength} characters, no control characters."];
        var priority = DepartmentPriority.Normal;
        if (request.Priority is not null && !BudgetNames.TryParsePriority(request.Priority, out priority))
            errors["priority"] = ["priority: one of high, normal, low."];
        Budget? budget = null;
        if (request.Budget is { ValueKind: not JsonValueKind.Null } budgetJson)
            budget = BudgetParser.Parse(budgetJson, deps.Matrix, "budget", errors, deps.Prices.Models);
        CheckModels(request.Models, deps, errors);
        if (errors.Count > 0) return Problems.Validation(errors);

        var created = await deps.Budgets.PutDepartmentAsync(caller.TenantId, new Department(departmentId, name!, priority, budget, request.Models?.Distinct().ToList()),
            Actor.Of(user), clock.GetUtcNow(), cancellationToken);
        deps.Tenants.Forget(caller.TenantId);
        var tenant = await Tenant(caller, deps, cancellationToken);
        var answer = (await DepartmentsAsync(deps, tenant, departmentId, cancellationToken))[0];
        return created == true ? TypedResults.Created($"/v1/tenant/departments/{departmentId}", answer) : TypedResults.Ok(answer);
    }

    public static async Task<Results<Ok<SubjectResponse>, ValidationProblem>> GetSubject(
        string subjectId, TenantContext caller, EntitlementDependencies deps, HttpContext http, CancellationToken cancellationToken)
    {
        subjectId = RawPaths.Between(http, "/v1/tenant/subjects/") ?? subjectId;
        if (EntitlementRequest.ValidateSubjectIdToRead(subjectId) is { } invalid) return Problems.Validation("subjectId", invalid);
        var row = await deps.Budgets.FindSubjectAsync(caller.TenantId, subjectId, cancellationToken);
        return TypedResults.Ok(new SubjectResponse(subjectId, row?.DepartmentId, row?.Overrides ?? [], row?.Models));
    }

    public static async Task<Results<Ok<SubjectResponse>, ValidationProblem, ProblemHttpResult>> PutSubject(
        string subjectId, SubjectRequest? request, TenantContext caller, ClaimsPrincipal user, EntitlementDependencies deps, TimeProvider clock,
        HttpContext http, CancellationToken cancellationToken)
    {
        subjectId = RawPaths.Between(http, "/v1/tenant/subjects/") ?? subjectId;
        var errors = new Dictionary<string, string[]>();
        if (EntitlementRequest.ValidateSubjectId(subjectId) is { } invalid) errors["subjectId"] = [invalid];
        if (request is null) return Problems.Validation(Required(errors));
        var overrides = new JsonObject();
        if (request.Overrides is { ValueKind: not JsonValueKind.Null } overridesJson)
        {
            if (overridesJson.ValueKind != JsonValueKind.Object)
                errors["overrides"] = ["overrides: an object { \"<class>\": { \"hardLimit\": 50, … } }."];
            else
            {
                var (parsed, stored) = TenantOverridesEndpoints.ParseOverrides(overridesJson, "overrides.", errors);
                overrides = stored;
                if (errors.Count == 0)
                {
                    var tenant = await Tenant(caller, deps, cancellationToken);
                    foreach (var problem in QuotaMatrixParser.OverrideErrors(deps.Matrix, tenant.Overrides.Then(parsed)))
                        errors[$"overrides[{errors.Count}]"] = [problem];
                }
            }
        }
        CheckModels(request.Models, deps, errors);
        if (errors.Count > 0) return Problems.Validation(errors);

        var models = request.Models?.Distinct().ToList();
        var placed = await deps.Budgets.PutSubjectAsync(caller.TenantId, new SubjectRow(subjectId, request.DepartmentId, overrides, models),
            Actor.Of(user), clock.GetUtcNow(), cancellationToken);
        if (placed == false)
            return Problems.NotFound($"Your tenant has no department '{Short(request.DepartmentId!)}'; PUT /v1/tenant/departments/{{id}} creates it.");
        deps.Tenants.Forget(caller.TenantId);
        return TypedResults.Ok(new SubjectResponse(subjectId, request.DepartmentId, overrides, models));
    }

    private static async Task<List<DepartmentResponse>> DepartmentsAsync(EntitlementDependencies deps, TenantSnapshot tenant, string? only, CancellationToken cancellationToken)
    {
        var departments = (tenant.Departments?.Values ?? []).Where(d => only is null || d.Id == only).OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
        var standings = await StandingsAsync(deps, tenant, departments.Select(d => (QuotaLevel.Department, d.Id, d.Budget)).ToList(), cancellationToken);
        var members = await deps.Budgets.CountMembersAsync(tenant.Id, cancellationToken);
        return departments.Select((d, i) => new DepartmentResponse(d.Id, d.Name, d.Priority.ToWireName(), standings[i], members.GetValueOrDefault(d.Id), d.Models)).ToList();
    }

    /// <summary>Where each budget stands in its current period (null where there is no budget).</summary>
    private static async Task<BudgetStanding?[]> StandingsAsync(
        EntitlementDependencies deps, TenantSnapshot tenant, IReadOnlyList<(QuotaLevel Level, string OwnerId, Budget? Budget)> budgets, CancellationToken cancellationToken)
    {
        var now = deps.Now();
        var windows = budgets.Select(b => b.Budget is null ? default : b.Budget.Cell.WindowAt(now, tenant.Zone)).ToList();
        var counters = await deps.Budgets.ReadCountersAsync(tenant.Id,
            budgets.Select((b, i) => (b.Level.ToWireName(), b.OwnerId, b.Budget?.Unit ?? "", windows[i])).ToList(), cancellationToken);
        var today = DateOnly.FromDateTime(now.ToDateTimeUtc());
        var daily = budgets.Any(b => b.Budget is { Period: not ResetCadence.Rolling })
            ? await deps.Budgets.DailyUseAsync(tenant.Id, today.AddDays(-BudgetForecasts.TrailingDays), today.AddDays(1), cancellationToken)
            : [];
        return budgets.Select((b, i) =>
        {
            if (b.Budget is not { } budget) return null;
            var (used, held) = counters[i];
            var counted = used + held;
            return new BudgetStanding(BudgetParser.LimitToWire(budget.Unit, budget.Limit), budget.Unit, budget.Period.ToWireName(budget.RollingHours),
                budget.OverQuota.ToWireName(), budget.FallbackClass, budget.AlertThresholds, BudgetParser.LimitToWire(budget.Unit, used),
                BudgetParser.LimitToWire(budget.Unit, held), BudgetParser.LimitToWire(budget.Unit, QuotaRules.Remaining(budget.Cell, counted)),
                windows[i].End.ToDateTimeUtc(), QuotaRules.StateOf(budget.Cell, counted).WireName(),
                budget.Period == ResetCadence.Rolling ? null : Forecast(deps.Matrix, b.Level, b.OwnerId, budget, used, windows[i], today, daily),
                budget.FallbackModel);
        }).ToArray();
    }

    private static ForecastResponse Forecast(
        QuotaMatrix matrix, QuotaLevel level, string ownerId, Budget budget, long used, QuotaWindow window, DateOnly today, IReadOnlyList<DailyUse> daily)
    {
        var forecast = DailyUseForecast.Project(matrix, level, ownerId, budget, used, window, today, daily);
        return new ForecastResponse(BudgetParser.LimitToWire(budget.Unit, forecast.Projected), BudgetParser.LimitToWire(budget.Unit, forecast.Low),
            BudgetParser.LimitToWire(budget.Unit, forecast.High), BudgetParser.LimitToWire(budget.Unit, budget.Limit), forecast.OverrunOn);
    }

    /// <summary>A list of models must name models of the price table, at least one (null or absent: any).</summary>
    private static void CheckModels(List<string>? models, EntitlementDependencies deps, Dictionary<string, string[]> errors)
    {
        if (models is null) return;
        if (models.Count == 0) errors["models"] = ["models: at least one model (leave it out to allow any)."];
        else if (models.FirstOrDefault(m => !deps.Prices.Knows(m)) is { } unknown)
            errors["models"] = [$"models: '{Short(unknown ?? "")}' is not a model of the price table ({string.Join(", ", deps.Prices.Models.Order(StringComparer.Ordinal))})."];
    }

    private static async Task<TenantSnapshot> Tenant(TenantContext caller, EntitlementDependencies deps, CancellationToken cancellationToken) =>
        await deps.Tenants.FindAsync(caller.TenantId, cancellationToken)
        ?? throw new TenantAccessException(ProblemTypes.TenantNotProvisioned, $"Tenant '{caller.TenantId}' named by the access token is not provisioned here.");

    private static Dictionary<string, string[]> Required(Dictionary<string, string[]> errors)
    {
        if (errors.Count == 0) errors["body"] = ["A JSON body is required."];
        return errors;
    }

    private static string Short(string value) => value.Length <= 64 ? value : value[..64] + "…";

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z")]
    private static partial Regex DepartmentId();
}
