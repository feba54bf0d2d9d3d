using TenantQuota.Api.Audit;
using TenantQuota.Api.Budgets;
using TenantQuota.Api.EndUser;
using TenantQuota.Api.Governance;

namespace TenantQuota.Api.Dashboard;

/// <summary>What the overview page shows, read through the API's own handlers (<see cref="DashboardReader"/>).</summary>
public sealed record OverviewModel(
    DashboardText Text, string TenantId, string? Status, BudgetStanding? Budget, UsageLineData? UsageChart, IReadOnlyList<DailyTotal> Daily,
    IReadOnlyList<DepartmentResponse> Departments, IReadOnlyList<UsageSeries> TopPeople, IReadOnlyList<UsageSeries> TopModels,
    IReadOnlyList<TenantEventResponse> Alerts, IReadOnlyList<AuditItem> Audit, UxMetricsResponse Ux, IReadOnlyList<WebhookEndpointResponse> Webhooks,
    string ChargebackMonth, DashboardChoices Choices)
{
    public FormState DepartmentForm { get; init; } = FormState.Empty;
    public FormState BudgetForm { get; init; } = FormState.Empty;
    public FormState WebhookForm { get; init; } = FormState.Empty;

    /// <summary>Who the anomaly detector holds (docs/decisions/0022), each with a button that clears the hold.</summary>
    public IReadOnlyList<HoldResponse> Holds { get; init; } = [];
}

public sealed record DailyTotal(DateOnly Day, decimal Cumulative);

/// <summary>The values the forms offer: budget units, operation classes, webhook event patterns, the price table's models.</summary>
public sealed record DashboardChoices(IReadOnlyList<string> Units, IReadOnlyList<string> Classes, IReadOnlyList<string> EventPatterns, IReadOnlyList<string> Models);

/// <summary>
/// A form as posted, with the API's validation errors keyed by form field (a handler's "budget.limit" is the
/// form's "limit"); errors naming no field of the form are shown above it.
/// </summary>
public sealed record FormState(IReadOnlyDictionary<string, string> Values, IReadOnlyDictionary<string, string[]> Errors)
{
    public static readonly FormState Empty = new(new Dictionary<string, string>(), new Dictionary<string, string[]>());

    public string this[string field] => Values.TryGetValue(field, out var value) ? value : "";

    public bool Has(string field) => Errors.ContainsKey(field);

    public string[] For(string field) => Errors.TryGetValue(field, out var messages) ? messages : [];

    public IEnumerable<string> Others(params string[] fields) => Errors.Where(e => !fields.Contains(e.Key)).SelectMany(e => e.Value);

    /// <summary>A budget's fields as the form shows them, to change it from where it stands.</summary>
    public static FormState Of(BudgetStanding? budget, params (string Field, string Value)[] more)
    {
        var values = more.ToDictionary(m => m.Field, m => m.Value);
        if (budget is not null)
        {
            values["limit"] = budget.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            values["unit"] = budget.Unit;
            values["period"] = budget.Period;
            values["overQuota"] = budget.OverQuota;
            values["fallbackClass"] = budget.FallbackClass ?? "";
            values["fallbackModel"] = budget.FallbackModel ?? "";
            values["thresholds"] = string.Join(", ", budget.AlertThresholds.Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return new FormState(values, new Dictionary<string, string[]>());
    }

    /// <summary>The handler's error keys as form fields: "budget." dropped, departmentId → id, alertThresholds → thresholds.</summary>
    public static FormState Refused(IReadOnlyDictionary<string, string> values, IDictionary<string, string[]> errors) =>
        new(values, errors.GroupBy(e => FieldOf(e.Key)).ToDictionary(g => g.Key, g => g.SelectMany(e => e.Value).ToArray()));

    private static string FieldOf(string key)
    {
        var field = key.StartsWith("budget.", StringComparison.Ordinal) ? key["budget.".Length..] : key;
        return field switch { "departmentId" => "id", "alertThresholds" => "thresholds", _ => field };
    }
}
