using System.Net;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Data.Governance;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Governance;
using TenantQuota.Domain.Matrix;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Dashboard;

/// <summary>
/// The dashboard over HTTP with the real identity host and a real API host over PostgreSQL: sign-in with the code flow,
/// the cookie, who may see what, the origin check, and forms that go through the API's own handlers.
/// </summary>
public sealed class DashboardTests(DashboardStackFixture fixture) : IClassFixture<DashboardStackFixture>, IDisposable
{
    private readonly DashboardStack _stack = fixture.Stack;
    private readonly DashboardVisitor _visitor = new(fixture.Stack);

    private static KeyValuePair<string, string>[] DepartmentForm(string id, string name, string limit) =>
    [
        new("id", id), new("name", name), new("priority", "high"), new("limit", limit), new("unit", "request"), new("period", "monthly"),
        new("overQuota", "warn"), new("fallbackClass", ""), new("thresholds", "0.7, 0.9, 1.0"),
    ];

    [Fact]
    public async Task Without_a_session_a_page_load_goes_to_the_issuers_authorize_endpoint_with_a_S256_challenge()
    {
        var answer = await _visitor.Browser.GetAsync(new Uri(_visitor.Dashboard, "/dashboard?lang=es"));

        Assert.Equal(HttpStatusCode.Found, answer.StatusCode);
        var location = answer.Headers.Location!;
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(_stack.Identity.Issuer + "/authorize", location.GetLeftPart(UriPartial.Path));
        Assert.Equal(("code", _stack.ClientId, "S256"), ((string)query["response_type"]!, (string)query["client_id"]!, (string)query["code_challenge_method"]!));
        Assert.Equal(new Uri(_stack.Api.Address, "/dashboard/callback").ToString(), (string)query["redirect_uri"]!);
        Assert.Equal("openid tenant.admin", (string)query["scope"]!);
        Assert.Equal(43, ((string)query["code_challenge"]!).Length); // base64url of a SHA-256
        Assert.False(string.IsNullOrEmpty(query["state"]));
        var flowCookie = answer.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tq_dashboard_signin=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("httponly", flowCookie);
        Assert.Contains("path=/dashboard", flowCookie);
        Assert.Contains("samesite=lax", flowCookie); // it must come back on the issuer's redirect to the callback
        Assert.Contains("max-age=600", flowCookie);
    }

    [Fact]
    public async Task A_callback_whose_state_is_not_this_browsers_is_refused_and_sets_no_cookie()
    {
        await _visitor.Browser.GetAsync(_visitor.Dashboard); // the sign-in cookie with this browser's state

        var answer = await _visitor.GetAsync("/dashboard/callback?code=stolen-code&state=not-the-state");

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains("Sign-in could not be completed", await answer.Content.ReadAsStringAsync());
        Assert.Null(_visitor.Cookie("tq_dashboard"));
    }

    [Fact]
    public async Task A_tenant_admin_signs_in_with_the_code_flow_and_sees_the_tenants_departments_and_usage()
    {
        var tenant = await _stack.NewTenantAsync();
        using var backend = _stack.Api.Client(await _stack.BackendTokenAsync(tenant));
        await backend.SendAsync(HttpMethod.Put, "/v1/tenant/departments/research",
            new { name = "Research Lab", budget = new { limit = 40, unit = "request", period = "monthly", overQuota = "warn" } });
        await backend.SendAsync(HttpMethod.Put, "/v1/tenant/subjects/ana", new { departmentId = "research" });
        var consumed = await backend.ConsumeAsync(new { subjectId = "ana", operationClass = "summaries", quantity = 7, idempotencyKey = Guid.NewGuid().ToString() });

        var callback = await _visitor.SignInAsync(tenant.Email, tenant.Password);
        var page = await _visitor.GetAsync("/dashboard");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(200, consumed.Status);
        var tokenCookie = callback.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tq_dashboard=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("httponly", tokenCookie);
        Assert.Contains("samesite=strict", tokenCookie);
        Assert.Contains("path=/dashboard", tokenCookie);
        // The callback moves on with a page of this site (not a redirect), back to where sign-in began.
        Assert.Contains("<meta http-equiv=\"refresh\" content=\"0;url=/dashboard\" />", await callback.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(tenant.Id, html);
        Assert.Contains("Research Lab", html);
        Assert.Matches("data-field=\"spent\">7 request<", html);
        Assert.Contains("<html lang=\"en\">", html);
    }

    [Fact]
    public async Task An_admin_of_another_tenant_never_sees_this_tenants_data()
    {
        var mine = await _stack.NewTenantAsync();
        var other = await _stack.NewTenantAsync();
        using var backend = _stack.Api.Client(await _stack.BackendTokenAsync(mine));
        await backend.SendAsync(HttpMethod.Put, "/v1/tenant/departments/hidden-dept", new { name = "Hidden Department" });

        await _visitor.SignInAsync(other.Email, other.Password);
        var html = await (await _visitor.GetAsync("/dashboard")).Content.ReadAsStringAsync();

        Assert.Contains(other.Id, html);
        Assert.DoesNotContain(mine.Id, html);
        Assert.DoesNotContain("Hidden Department", html);
    }

    [Fact]
    public async Task A_form_post_without_an_origin_or_from_another_origin_is_refused_and_changes_nothing()
    {
        var tenant = await _stack.NewTenantAsync();
        await _visitor.SignInAsync(tenant.Email, tenant.Password);

        var withoutOrigin = await _visitor.PostFormAsync("/dashboard/departments", DepartmentForm("ops", "Operations", "10"), origin: null);
        var foreign = await _visitor.PostFormAsync("/dashboard/departments", DepartmentForm("ops", "Operations", "10"), origin: "http://evil.example");
        var departmentsAfterRefusals = await DepartmentsAsync(tenant);
        var own = await _visitor.PostFormAsync("/dashboard/departments", DepartmentForm("ops", "Operations", "10"));

        Assert.Equal(HttpStatusCode.Forbidden, withoutOrigin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Empty(departmentsAfterRefusals);
        Assert.Equal(HttpStatusCode.SeeOther, own.StatusCode); // the same post from the dashboard's own page goes through
        Assert.Equal(["ops"], await DepartmentsAsync(tenant));
    }

    [Fact]
    public async Task A_bad_department_form_answers_the_page_with_the_handlers_field_error_and_changes_nothing()
    {
        var tenant = await _stack.NewTenantAsync();
        await _visitor.SignInAsync(tenant.Email, tenant.Password);

        var answer = await _visitor.PostFormAsync("/dashboard/departments", DepartmentForm("ops", "Operations", "-5"));
        var html = await answer.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains("<p class=\"error\" id=\"dept-limit-error\">budget.limit: a number above 0.</p>", html);
        Assert.Contains("id=\"dept-limit\" name=\"limit\" aria-invalid=\"true\"", html);
        Assert.Contains("value=\"Operations\"", html); // what was typed is kept
        Assert.Empty(await DepartmentsAsync(tenant));
        using var admin = _stack.Api.Client(await _stack.BackendTokenAsync(tenant));
        Assert.Empty((await admin.SendAsync(HttpMethod.Get, "/v1/tenant/audit?kind=department")).Json["items"]!.AsArray());
    }

    [Fact]
    public async Task A_good_department_form_is_saved_through_the_api_handler_with_its_audit_entry()
    {
        var tenant = await _stack.NewTenantAsync();
        await _visitor.SignInAsync(tenant.Email, tenant.Password);

        var saved = await _visitor.PostFormAsync("/dashboard/departments", DepartmentForm("mkt", "Marketing", "25"));
        var page = await _visitor.FollowAsync(saved);
        using var admin = _stack.Api.Client(await _stack.BackendTokenAsync(tenant));
        var department = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/departments/mkt");
        var audit = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/audit?kind=department");

        Assert.Equal("/dashboard?saved=department#departments", saved.Headers.Location!.OriginalString);
        Assert.Contains("Department saved.", await page.Content.ReadAsStringAsync());
        Assert.Equal((25m, "request", "high"), ((decimal)department.Json["budget"]!["limit"]!, (string)department.Json["budget"]!["unit"]!, (string)department.Json["priority"]!));
        Assert.Equal([0.7m, 0.9m, 1.0m], department.Json["budget"]!["alertThresholds"]!.AsArray().Select(t => (decimal)t!).ToArray());
        var entry = Assert.Single(audit.Json["items"]!.AsArray());
        Assert.Equal("mkt", (string)entry!["target"]!);
        Assert.Equal(tenant.Email, (string)entry["actor"]!); // the person, not the dashboard's client id
    }

    [Fact]
    public async Task A_token_without_tenant_admin_gets_the_page_that_says_the_account_is_not_a_tenant_admin()
    {
        _visitor.UseToken(await _stack.Identity.TokenAsync("acme-backend", "acme-dev-secret")); // quota.check quota.consume only

        var answer = await _visitor.GetAsync("/dashboard");

        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.Contains("This account is not a tenant administrator", await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_chargeback_link_answers_what_the_api_answers_for_text_csv()
    {
        var tenant = await _stack.NewTenantAsync();
        var token = await _stack.BackendTokenAsync(tenant);
        using var backend = _stack.Api.Client(token);
        for (var i = 0; i < 3; i++)
            await backend.ConsumeAsync(new { subjectId = $"p{i}", operationClass = "summaries", quantity = i + 1, idempotencyKey = Guid.NewGuid().ToString() });
        var month = _stack.Api.Clock.GetUtcNow().ToString("yyyy-MM");
        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, $"/v1/tenant/chargeback?month={month}");
        csvRequest.Headers.Add("Accept", "text/csv");
        var fromApi = await (await backend.SendAsync(csvRequest)).Content.ReadAsStringAsync();
        await _visitor.SignInAsync(tenant.Email, tenant.Password);

        var download = await _visitor.GetAsync($"/dashboard/chargeback.csv?month={month}");

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("text/csv", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal(fromApi, await download.Content.ReadAsStringAsync());
        Assert.Equal(4, fromApi.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // a header and three rows
    }

    [Fact]
    public async Task Pages_carry_a_strict_content_security_policy_and_speak_spanish_when_asked()
    {
        var tenant = await _stack.NewTenantAsync();
        await _visitor.SignInAsync(tenant.Email, tenant.Password);

        var answer = await _visitor.GetAsync("/dashboard?lang=es");
        var again = await _visitor.GetAsync("/dashboard"); // the choice is remembered
        var html = await again.Content.ReadAsStringAsync();

        var csp = answer.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'; script-src 'self'; style-src 'self'", csp);
        Assert.Contains($"form-action 'self' {_stack.Identity.Issuer}", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("<html lang=\"es\">", html);
        Assert.Contains(">Departamentos</h2>", html);
    }

    [Fact]
    public async Task A_webhook_endpoint_is_added_with_its_secret_shown_once_and_deleted_through_the_forms()
    {
        var tenant = await _stack.NewTenantAsync();
        await _visitor.SignInAsync(tenant.Email, tenant.Password);

        var added = await _visitor.PostFormAsync("/dashboard/webhooks", [new("url", "http://127.0.0.1:9/hook"), new("events", "alert.*")]);
        var addedHtml = await added.Content.ReadAsStringAsync();
        using var admin = _stack.Api.Client(await _stack.BackendTokenAsync(tenant));
        var listed = (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/webhooks")).Json["items"]!.AsArray();
        var overview = await (await _visitor.GetAsync("/dashboard")).Content.ReadAsStringAsync();
        var deleted = await _visitor.PostFormAsync($"/dashboard/webhooks/{(string)listed[0]!["id"]!}/delete", []);

        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.Matches("<code id=\"webhook-secret\">[^<]{16,}</code>", addedHtml);
        Assert.Equal("http://127.0.0.1:9/hook", (string)Assert.Single(listed)!["url"]!);
        Assert.Contains("aria-label=\"Delete http://127.0.0.1:9/hook\"", overview);
        Assert.DoesNotContain("webhook-secret", overview);
        Assert.Equal(HttpStatusCode.SeeOther, deleted.StatusCode);
        Assert.Empty((await admin.SendAsync(HttpMethod.Get, "/v1/tenant/webhooks")).Json["items"]!.AsArray());
    }

    [Fact]
    public async Task A_department_degrading_to_a_cheaper_model_over_a_rolling_day_keeps_both_when_its_form_is_saved()
    {
        var tenant = await _stack.NewTenantAsync("enterprise");
        using var admin = _stack.Api.Client(await _stack.BackendTokenAsync(tenant));
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/mkt", new
        {
            name = "Marketing", budget = new { limit = 50, unit = "usd", period = "rolling:24h", overQuota = "degrade", fallbackModel = "gpt-small" },
        });
        await _visitor.SignInAsync(tenant.Email, tenant.Password);

        var form = await (await _visitor.GetAsync("/dashboard?edit=mkt")).Content.ReadAsStringAsync();
        var saved = await _visitor.PostFormAsync("/dashboard/departments",
        [
            new("id", "mkt"), new("name", "Marketing"), new("priority", "normal"), new("limit", "60"), new("unit", "usd"), new("period", "rolling:24h"),
            new("overQuota", "degrade"), new("fallbackClass", ""), new("fallbackModel", "gpt-small"), new("thresholds", "0.9"),
        ]);
        var budget = (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/departments/mkt")).Json["budget"]!;

        Assert.Matches("<option value=\"gpt-small\" selected[^>]*>gpt-small</option>", form);
        Assert.Matches("<option value=\"rolling:24h\" selected[^>]*>rolling:24h</option>", form); // a period the form's list lacks stays chosen
        Assert.Equal(HttpStatusCode.SeeOther, saved.StatusCode);
        Assert.Equal(("gpt-small", 60m, "rolling:24h"), ((string?)budget["fallbackModel"], (decimal)budget["limit"]!, (string?)budget["period"]));
    }

    [Fact]
    public async Task A_held_person_is_listed_and_resumed_through_the_form_in_the_audit_log_as_the_signed_in_admin()
    {
        var tenant = await _stack.NewTenantAsync("enterprise");
        var anomalies = _stack.Api.Services.GetRequiredService<AnomalyStore>();
        var policy = AnomalyPolicies.FromStored("""{"metric":"summaries","minimumVolume":20,"action":"block"}""", _stack.Api.Services.GetRequiredService<QuotaMatrix>());
        Assert.True(await anomalies.ActAsync(tenant.Id, policy,
            new FoundSpike(QuotaLevel.Subject, "ana", new DateTimeOffset(2026, 11, 20, 3, 0, 0, TimeSpan.Zero), new Spike(300, 5, 20)), CancellationToken.None));
        await _visitor.SignInAsync(tenant.Email, tenant.Password);

        var listed = await (await _visitor.GetAsync("/dashboard")).Content.ReadAsStringAsync();
        var foreign = await _visitor.PostFormAsync("/dashboard/holds/subject/ana/clear", [], origin: "http://evil.example");
        var stillHeld = (await anomalies.ListHoldsAsync(tenant.Id, includeCleared: false, CancellationToken.None)).Count;
        var resumed = await _visitor.PostFormAsync("/dashboard/holds/subject/ana/clear", []);
        var after = await (await _visitor.GetAsync("/dashboard?saved=hold-cleared")).Content.ReadAsStringAsync();

        Assert.Contains("data-hold=\"subject:ana\"", listed);
        Assert.Equal((HttpStatusCode.Forbidden, 1), (foreign.StatusCode, stillHeld));
        Assert.Equal(HttpStatusCode.SeeOther, resumed.StatusCode);
        Assert.DoesNotContain("data-hold=", after);
        Assert.Contains("Hold lifted", after);
        var cleared = Assert.Single(await anomalies.ListHoldsAsync(tenant.Id, includeCleared: true, CancellationToken.None));
        Assert.Equal(tenant.Email, cleared.ClearedBy);
    }

    private async Task<string[]> DepartmentsAsync(DashboardTenant tenant)
    {
        using var admin = _stack.Api.Client(await _stack.BackendTokenAsync(tenant));
        return [.. (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/departments")).Json["departments"]!.AsArray().Select(d => (string)d!["id"]!)];
    }

    public void Dispose() => _visitor.Dispose();
}
