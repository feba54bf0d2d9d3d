using TenantQuota.Api.Auth;
using TenantQuota.Api.Hosting;
using TenantQuota.Data.Governance;
using TenantQuota.Domain.Governance;

namespace TenantQuota.Api.Governance;

/// <summary>Governance__*.</summary>
public sealed class GovernanceSettings
{
    /// <summary>
    /// Lets webhook endpoints be plain http to 127.0.0.1 or localhost (Governance__AllowLoopbackHttpWebhooks): for a stack
    /// that runs on one machine, such as scripts/start.sh's. Everywhere else deliveries go over https only.
    /// </summary>
    public bool AllowLoopbackHttpWebhooks { get; set; }
}

/// <summary>The governance routes (tenant.admin, the caller's own tenant): webhook endpoints, the alert list and the chargeback.</summary>
public static class GovernanceApi
{
    public static IServiceCollection AddGovernance(this IServiceCollection services)
    {
        services.AddOptions<GovernanceSettings>().BindConfiguration("Governance");
        services.AddSingleton<WebhookEndpoints>();
        services.AddSingleton<TenantEvents>();
        services.AddSingleton<Chargeback>();
        services.AddSingleton<UsageAnalytics>();
        services.AddSingleton<ReportSubscriptions>();
        services.AddSingleton<CellAlerts>();
        services.AddSingleton<AnomalyStore>();
        return services;
    }

    public static RouteGroupBuilder MapGovernance(this RouteGroupBuilder v1)
    {
        var tenant = v1.MapGroup("/tenant").RequireAuthorization(Scopes.TenantAdmin).WithTags("Governance");
        tenant.MapPost("/webhooks", Webhooks.Create)
            .WithName("CreateWebhookEndpoint")
            .WithSummary("Register a URL to receive your tenant's events")
            .WithDescription("{ \"url\": \"https://hooks.example/tq\", \"events\": [\"alert.*\"] }. url: absolute https, up to " +
                $"{Webhooks.MaxUrlLength} characters, no user name or fragment. events: 1–{Webhooks.MaxEvents} of {string.Join(", ", WebhookEvents.Patterns)}. " +
                "Answers the endpoint with its secret, which signs every delivery (Tq-Signature) and is in this answer only. At most " +
                $"{WebhookEndpoints.MaxLivePerTenant} endpoints per tenant. Audited. Scope tenant.admin.")
            .AcceptsJsonBody();
        tenant.MapGet("/webhooks", Webhooks.List)
            .WithName("ListWebhookEndpoints")
            .WithSummary("List your tenant's webhook endpoints")
            .WithDescription("Oldest first, without secrets. Scope tenant.admin.");
        tenant.MapDelete("/webhooks/{id}", Webhooks.Delete)
            .WithName("DeleteWebhookEndpoint")
            .WithSummary("Stop delivering events to a webhook endpoint")
            .WithDescription("It gets no event from now on. Another tenant's endpoint answers 404, like one that does not exist. Audited. " +
                "Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapGet("/alerts", AlertsEndpoint.Handle)
            .WithName("ListAlerts")
            .WithSummary("Read your tenant's alerts and other events")
            .WithDescription("Each as webhooks deliver it: { id, type, createdAt, tenantId, data }. Newest first; filter by time (from, to: " +
                $"ISO 8601 instants) and by type (a type, alert.* or *); limit 1–{AlertsEndpoint.MaxLimit} (default {AlertsEndpoint.DefaultLimit}). Scope tenant.admin.");
        tenant.MapPut("/cell-alerts", CellAlertsEndpoints.Put)
            .WithName("SetCellAlerts")
            .WithSummary("Alert when a person reaches a share of their plan limit")
            .WithDescription("{ \"summaries\": [0.8, 1.0] }: per operation class, up to 10 shares of each person's cell hard limit (their tier's, with " +
                "your tenant's overrides), ascending, each in (0, 1]. The worker raises alert.threshold_crossed (level subject) once per window and " +
                "alert.recovered when a new window starts. Replaces what was set; {} clears. Audited. Scope tenant.admin.")
            .AcceptsJsonBody();
        tenant.MapGet("/cell-alerts", CellAlertsEndpoints.Get)
            .WithName("GetCellAlerts")
            .WithSummary("Read the per-person alert thresholds")
            .WithDescription("Operation class → thresholds. Scope tenant.admin.");
        tenant.MapPut("/anomaly-policy", AnomalyEndpoints.PutPolicy)
            .WithName("SetAnomalyPolicy")
            .WithSummary("Watch for usage spikes, and say what happens to whoever spikes")
            .WithDescription("{ \"metric\": \"usd\", \"minimumVolume\": 5, \"sensitivity\": 4, \"action\": \"block\", \"levels\": [\"department\", \"subject\"] }. " +
                "Each complete UTC hour the worker compares every department's and person's use of metric (usd, tokens or an operation class) " +
                "with the same hour on the 14 days before: above median + sensitivity × spread (the median absolute deviation × 1.4826, at " +
                "least a tenth of the median) and at least minimumVolume (dollars for usd) is a spike. It raises alert.anomaly and, with " +
                "action degrade (with fallbackClass) or block, holds the department or person until you clear it: their requests are refused " +
                "with reason anomaly (degrade points at fallbackClass and lets it through). sensitivity " +
                $"{AnomalyPolicies.MinSensitivity:0}–{AnomalyPolicies.MaxSensitivity:0}, default {AnomalyPolicies.DefaultSensitivity:0}; action " +
                "default notify. Audited. Scope tenant.admin.")
            .AcceptsJsonBody();
        tenant.MapGet("/anomaly-policy", AnomalyEndpoints.GetPolicy)
            .WithName("GetAnomalyPolicy")
            .WithSummary("Read your tenant's anomaly policy")
            .WithDescription("404 when there is none. Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapDelete("/anomaly-policy", AnomalyEndpoints.DeletePolicy)
            .WithName("RemoveAnomalyPolicy")
            .WithSummary("Stop watching for usage spikes")
            .WithDescription("Holds already placed stay until cleared. Audited. Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapGet("/anomaly-holds", AnomalyEndpoints.ListHolds)
            .WithName("ListAnomalyHolds")
            .WithSummary("Who is held after a usage spike")
            .WithDescription("The open holds, newest first: level, ownerId, action, fallbackClass, heldAt, the hour that spiked and its " +
                "alert.anomaly's eventId. include=cleared adds those cleared in the last 30 days (clearedAt, clearedBy). Scope tenant.admin.");
        tenant.MapDelete("/anomaly-holds/{level}/{ownerId}", AnomalyEndpoints.ClearHold)
            .WithName("ClearAnomalyHold")
            .WithSummary("Lift a hold")
            .WithDescription("level: department or subject. From the next request on, the department's or person's requests are decided as " +
                $"before; for {AnomalyStore.QuietAfterClearing.TotalHours:0} hours after, spikes of theirs only notify. Audited. 404 when nothing is held. " +
                "Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapPut("/reports/weekly", ReportsEndpoints.Put)
            .WithName("SubscribeWeeklyReport")
            .WithSummary("Send your tenant a weekly usage report")
            .WithDescription("{ \"departments\": [\"marketing\"] } (optional: all departments when left out). Every Monday after 00:00 UTC the worker " +
                "sends last week's usage per department and class (units, dollars, records) once, as a report.usage event, to your webhook endpoints " +
                "subscribed to it (report.usage, or *). Audited. Scope tenant.admin.")
            .AcceptsJsonBody();
        tenant.MapGet("/reports/weekly", ReportsEndpoints.Get)
            .WithName("GetWeeklyReport")
            .WithSummary("Read your tenant's weekly report subscription")
            .WithDescription("404 when there is none. Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapDelete("/reports/weekly", ReportsEndpoints.Delete)
            .WithName("UnsubscribeWeeklyReport")
            .WithSummary("Stop your tenant's weekly usage report")
            .WithDescription("Audited. Scope tenant.admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapGet("/usage", UsageAnalyticsEndpoint.Handle)
            .WithName("GetUsageAnalytics")
            .WithSummary("Your tenant's usage over time, by class, department, person or model")
            .WithDescription("groupBy: class (default), department, subject or model; interval: day (default) or hour, in UTC; from, to: ISO 8601 " +
                $"instants, widened to whole buckets (default: the last 30 days, or 7 for hourly; at most {UsageAnalyticsEndpoint.MaxDaily.TotalDays} " +
                $"days daily, {UsageAnalyticsEndpoint.MaxHourly.TotalDays} hourly). Each series has every bucket of the range (zero where nothing was " +
                $"used), quantity in the class's unit (operationClass keeps one class; across classes compare usd) and usd; the largest series first, limit 1–{UsageAnalyticsEndpoint.MaxLimit} (default " +
                $"{UsageAnalyticsEndpoint.DefaultLimit}). From the worker's rollups: rolledTo says up to when they are complete. Scope tenant.admin.");
        tenant.MapGet("/chargeback", ChargebackEndpoint.Handle)
            .WithName("GetChargeback")
            .WithSummary("What each person used in a month, to charge back to departments")
            .WithDescription($"month=YYYY-MM (required, {ChargebackEndpoint.FirstYear}–{ChargebackEndpoint.LastYear}): the calendar month in " +
                "your tenant's time zone (timeZone, and the instants from and to, say which). One row per department, subject, operation " +
                "class and model (departmentId: the person's department when they used it; null department or model: none), ordered by " +
                "those with nulls last: quantity, inputTokens, outputTokens and usd (exact, from the micro-dollars recorded at consume " +
                "time). totals (quantity, inputTokens, outputTokens, usd, records) are summed from the records themselves. Denied " +
                "requests used nothing and are not in it. With Accept: text/csv the same rows as a CSV download (RFC 4180): a header " +
                "line and the rows only, no totals line; a text field a spreadsheet would read as a formula (starting with =, +, -, @, " +
                "tab or CR) starts with ' instead. Scope tenant.admin.")
            .AlsoAnswersAs(ChargebackEndpoint.CsvMediaType);
        return v1;
    }
}
