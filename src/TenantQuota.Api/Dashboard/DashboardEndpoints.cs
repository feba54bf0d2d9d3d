using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Budgets;
using TenantQuota.Api.Entitlements;
using TenantQuota.Api.Governance;
using TenantQuota.Api.Hosting;
using TenantQuota.Data;
using TenantQuota.Data.Governance;

namespace TenantQuota.Api.Dashboard;

/// <summary>
/// GET /dashboard and its forms (docs/decisions/0023-dashboard.md). Every form post binds the form into the request
/// object of the API endpoint that does the same thing and calls that endpoint's handler, so validation and the audit
/// log are the API's own; a refusal re-renders the page with the handler's errors beside the fields (400), success
/// redirects back with a status message (Post/Redirect/Get).
/// </summary>
public static class DashboardEndpoints
{
    private static readonly Dictionary<string, Func<DashboardText, string>> Statuses = new(StringComparer.Ordinal)
    {
        ["department"] = t => t.SavedDepartment, ["budget"] = t => t.SavedBudget, ["webhook-deleted"] = t => t.DeletedWebhook, ["hold-cleared"] = t => t.HoldCleared,
    };

    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddSingleton<DashboardReader>();
        return services.AddDashboardAuth();
    }

    /// <summary>Security headers on every /dashboard answer, the sign-in redirects and refusals included (so before authentication).</summary>
    public static IApplicationBuilder UseDashboardHeaders(this IApplicationBuilder app)
    {
        var authority = app.ApplicationServices.GetRequiredService<IOptions<AuthSettings>>().Value.Authority;
        var issuerOrigin = Uri.TryCreate(authority, UriKind.Absolute, out var issuer) ? " " + issuer.GetLeftPart(UriPartial.Authority) : "";
        var policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
            $"form-action 'self'{issuerOrigin}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
        return app.Use((http, next) =>
        {
            if (http.Request.Path.StartsWithSegments(DashboardAuth.Path))
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = policy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
                headers.CacheControl = "no-store"; // tenant data; the stylesheet sets its own
            }
            return next(http);
        });
    }

    public static WebApplication MapDashboard(this WebApplication app)
    {
        var open = app.MapGroup(DashboardAuth.Path).AllowAnonymous().ExcludeFromDescription();
        open.MapGet("/dashboard.css", Stylesheet);
        open.MapGet("/callback", DashboardAuth.CallbackAsync);
        open.MapPost("/sign-out", DashboardAuth.SignOut).AddEndpointFilter(SameOriginOnly).DisableAntiforgery();

        var dashboard = app.MapGroup(DashboardAuth.Path).RequireAuthorization(DashboardAuth.Policy).ExcludeFromDescription();
        dashboard.MapGet("/", Overview);
        dashboard.MapGet("/chargeback.csv", Chargeback);
        // The origin check stands in for antiforgery tokens, which would need a key ring shared by every API process.
        var forms = dashboard.MapGroup("/").AddEndpointFilter(SameOriginOnly).DisableAntiforgery();
        forms.MapPost("/departments", PutDepartment);
        forms.MapPost("/budget", SetBudget);
        forms.MapPost("/webhooks", CreateWebhook);
        forms.MapPost("/webhooks/{id}/delete", DeleteWebhook);
        forms.MapPost("/holds/{level}/{ownerId}/clear", ClearHold);
        return app;
    }

    private static async Task<IResult> Overview(string? lang, string? saved, string? edit, HttpContext http, DashboardReader reader, CancellationToken cancellationToken)
    {
        if (lang is not null && DashboardRules.Languages.Contains(lang))
            http.Response.Cookies.Append(DashboardAuth.LanguageCookie, lang,
                new CookieOptions { Path = DashboardAuth.Path, SameSite = SameSiteMode.Lax, Secure = http.Request.IsHttps, MaxAge = TimeSpan.FromDays(365), HttpOnly = true });
        var text = DashboardPages.Text(http);
        var status = saved is not null && Statuses.TryGetValue(saved, out var message) ? message(text) : null;
        return DashboardPages.Overview(await reader.ReadAsync(TenantContext.From(http.User), text, status, cancellationToken, edit));
    }

    /// <summary>What GET /v1/tenant/chargeback answers for Accept: text/csv: this link always means the CSV.</summary>
    private static async Task<IResult> Chargeback(string? month, HttpContext http, TenantDirectory tenants, Data.Governance.Chargeback chargeback,
        CancellationToken cancellationToken)
    {
        http.Request.Headers.Accept = ChargebackEndpoint.CsvMediaType;
        return (await ChargebackEndpoint.Handle(month, http, TenantContext.From(http.User), tenants, chargeback, cancellationToken)).Result;
    }

    private static async Task<IResult> PutDepartment(HttpContext http, EntitlementDependencies deps, DashboardReader reader, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var form = await http.Request.ReadFormAsync(cancellationToken);
        var caller = TenantContext.From(http.User);
        var id = Field(form, "id");
        // The form has no field for a department's models: an edit keeps the ones it had.
        var models = (await deps.Tenants.FindAsync(caller.TenantId, cancellationToken))?.Department(id)?.Models;
        var request = new DepartmentRequest
        {
            Name = Field(form, "name"), Priority = Field(form, "priority") is { Length: > 0 } priority ? priority : null,
            Budget = Field(form, "limit").Length == 0 ? null : BudgetJson(form), Models = models?.ToList(),
        };
        var result = await BudgetEndpoints.PutDepartment(id, request, caller, http.User, deps, clock, cancellationToken);
        if (result.Result is ValidationProblem refused)
            return await Refused(http, reader, refused, (model, state) => model with { DepartmentForm = state }, cancellationToken);
        return SeeOther(http, "/dashboard?saved=department#departments");
    }

    private static async Task<IResult> SetBudget(HttpContext http, EntitlementDependencies deps, DashboardReader reader, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var form = await http.Request.ReadFormAsync(cancellationToken);
        var result = await BudgetEndpoints.SetBudget(BudgetJson(form), TenantContext.From(http.User), http.User, deps, clock, cancellationToken);
        if (result.Result is ValidationProblem refused)
            return await Refused(http, reader, refused, (model, state) => model with { BudgetForm = state }, cancellationToken);
        return SeeOther(http, "/dashboard?saved=budget#budget");
    }

    private static async Task<IResult> CreateWebhook(HttpContext http, WebhookEndpoints endpoints, IOptions<GovernanceSettings> settings, DashboardReader reader,
        CancellationToken cancellationToken)
    {
        var form = await http.Request.ReadFormAsync(cancellationToken);
        var request = new CreateWebhookRequest(Field(form, "url"), [.. form["events"]]);
        var result = await Webhooks.Create(request, TenantContext.From(http.User), http.User, endpoints, settings, cancellationToken);
        if (result.Result is ValidationProblem refused)
            return await Refused(http, reader, refused, (model, state) => model with { WebhookForm = state }, cancellationToken);
        var created = ((Created<CreatedWebhookEndpointResponse>)result.Result).Value!;
        // Shown once, as the API answers it once: no redirect, so the secret is never in a URL or a later page.
        return DashboardPages.Message(http, StatusCodes.Status200OK, t => t.WebhookCreatedHeading, t => t.WebhookSecretOnce, DashboardAuth.Path + "#webhooks",
            secret: created.Secret, secretFor: created.Url);
    }

    private static async Task<IResult> DeleteWebhook(string id, HttpContext http, WebhookEndpoints endpoints, CancellationToken cancellationToken)
    {
        var result = await Webhooks.Delete(id, TenantContext.From(http.User), http.User, endpoints, cancellationToken);
        return SeeOther(http, result.Result is NoContent ? "/dashboard?saved=webhook-deleted#webhooks" : "/dashboard#webhooks");
    }

    private static async Task<IResult> ClearHold(string level, string ownerId, HttpContext http, AnomalyStore anomalies, CancellationToken cancellationToken)
    {
        ownerId = TenantQuota.Api.Errors.RawPaths.Between(http, $"/dashboard/holds/{level}/", "/clear") ?? ownerId;
        var result = await AnomalyEndpoints.Clear(level, ownerId, TenantContext.From(http.User), http.User, anomalies, cancellationToken);
        return SeeOther(http, result.Result is NoContent ? "/dashboard?saved=hold-cleared#holds" : "/dashboard#holds");
    }

    /// <summary>The overview again, with the handler's errors beside the form's fields and what was typed kept.</summary>
    private static async Task<IResult> Refused(HttpContext http, DashboardReader reader, ValidationProblem refused, Func<OverviewModel, FormState, OverviewModel> withForm,
        CancellationToken cancellationToken)
    {
        var form = await http.Request.ReadFormAsync(cancellationToken);
        var values = form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        var model = await reader.ReadAsync(TenantContext.From(http.User), DashboardPages.Text(http), null, cancellationToken);
        return DashboardPages.Overview(withForm(model, FormState.Refused(values, refused.ProblemDetails.Errors)), StatusCodes.Status400BadRequest);
    }

    /// <summary>
    /// The budget fields as the API's JSON budget. Numbers are sent as numbers and anything else as typed, so the API's
    /// own parser is the one that says what is wrong with it.
    /// </summary>
    public static JsonElement BudgetJson(IFormCollection form)
    {
        var budget = new JsonObject();
        if (Field(form, "limit") is { Length: > 0 } limit) budget["limit"] = Value(limit);
        foreach (var name in new[] { "unit", "period", "overQuota", "fallbackClass", "fallbackModel" })
            if (Field(form, name) is { Length: > 0 } value) budget[name] = value;
        var thresholds = Field(form, "thresholds").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (thresholds.Length > 0) budget["alertThresholds"] = new JsonArray([.. thresholds.Select(Value)]);
        return JsonSerializer.SerializeToElement(budget);
    }

    private static JsonNode Value(string text) =>
        decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? JsonValue.Create(number)
            : JsonValue.Create(text);

    private static string Field(IFormCollection form, string name) => form[name].ToString().Trim();

    private static IResult SeeOther(HttpContext http, string location)
    {
        http.Response.Headers.Location = location;
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }

    private static async ValueTask<object?> SameOriginOnly(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        var origin = $"{request.Scheme}://{request.Host}";
        return DashboardRules.IsSameOrigin(request.Headers.Origin, request.Headers.Referer, origin)
            ? await next(context)
            : DashboardPages.Message(context.HttpContext, StatusCodes.Status403Forbidden, t => t.RefusedHeading, t => t.RefusedBody, DashboardAuth.Path);
    }

    private static IResult Stylesheet(HttpContext http)
    {
        http.Response.Headers.CacheControl = "public, max-age=3600";
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("TenantQuota.Api.Dashboard.dashboard.css")
            ?? throw new InvalidOperationException("dashboard.css is not embedded in the API assembly.");
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), "text/css; charset=utf-8");
    }
}
