using System.Globalization;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using TenantQuota.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TenantQuota.Browser.Tests;

/// <summary>The tenant admin's dashboard in a browser: the whole story of issue 10's item 8, and accessibility in both languages and on a phone.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class DashboardPageTests(DashboardBrowser dashboard, ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>
    /// The worker evaluates alerts on the windows current by the real clock; the API's clock stood still since the
    /// collection started, so catch it up before any usage (a month may have ended in between).
    /// </summary>
    public Task InitializeAsync()
    {
        dashboard.Stack.Api.Clock.Set(DateTimeOffset.UtcNow);
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DemoBrowser.Screenshots, $"dashboard-{name}.png"), FullPage = true });

    private static ILocator DepartmentRow(IPage page, string id) => page.Locator($"#departments tr[data-department='{id}']");

    private static ILocator Alert(IPage page, string department, string threshold) =>
        page.Locator($"#alerts tr[data-alert='alert.threshold_crossed'][data-level='department'][data-owner='{department}'][data-threshold='{threshold}']");

    [Fact]
    public async Task An_admin_signs_in_sets_a_department_budget_drives_usage_and_sees_the_bar_the_forecast_the_alerts_and_the_csv()
    {
        var tenant = await dashboard.Stack.NewTenantAsync();
        var page = await dashboard.NewPageAsync();

        // 1. Sign in on the identity provider's form.
        await dashboard.SignInAsync(page, tenant, name => ShotAsync(page, name));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "This period's budget" })).ToBeVisibleAsync();
        await Expect(page.Locator("#budget")).ToContainTextAsync("Your tenant has no budget yet.");
        await ShotAsync(page, "02-signed-in");

        // 2. A tenant budget and a department budget, through the forms.
        await page.Locator("#budget-limit").FillAsync("100");
        await page.Locator("#budget-unit").SelectOptionAsync("request");
        await page.Locator("#budget-overQuota").SelectOptionAsync("warn");
        await page.Locator("#budget-thresholds").FillAsync("0.8");
        await page.Locator("#tenant-budget button[type=submit]").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Budget saved.");
        await page.Locator("#dept-id").FillAsync("marketing");
        await page.Locator("#dept-name").FillAsync("Marketing");
        await page.Locator("#dept-limit").FillAsync("10");
        await page.Locator("#dept-unit").SelectOptionAsync("request");
        await page.Locator("#dept-overQuota").SelectOptionAsync("warn");
        await page.Locator("#dept-thresholds").FillAsync("0.7, 0.9, 1.0");
        await page.Locator("#department-form button[type=submit]").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Department saved.");
        await Expect(DepartmentRow(page, "marketing").Locator("[data-field=spent]")).ToHaveTextAsync("0 request");
        await ShotAsync(page, "03-department-budget-set");

        // 3. Usage through the real API: two people of Marketing use 10 summaries on gpt-small.
        using var backend = dashboard.Stack.Api.Client(await dashboard.Stack.BackendTokenAsync(tenant));
        var consumed = 0;
        foreach (var person in new[] { "ana", "ben" })
            Assert.Equal(200, (await backend.SendAsync(HttpMethod.Put, $"/v1/tenant/subjects/{person}", new { departmentId = "marketing" })).Status);
        foreach (var (person, quantity) in new[] { ("ana", 4), ("ben", 3), ("ana", 2), ("ben", 1) })
        {
            var answer = await backend.ConsumeAsync(new { subjectId = person, operationClass = "summaries", quantity, model = "gpt-small", idempotencyKey = Guid.NewGuid().ToString() });
            Assert.True(answer.Status == 200, answer.Response.ToString());
            consumed += quantity;
        }
        await dashboard.RunWorkerAsync(tenant.Id);

        // 4. The bar moved, and the table says how far.
        await page.ReloadAsync();
        await Expect(DepartmentRow(page, "marketing").Locator("[data-field=spent]")).ToHaveTextAsync($"{consumed} request");
        var bar = page.Locator("#departments-chart g.bar[data-label='Marketing']");
        await Expect(bar).ToHaveAttributeAsync("data-value", consumed.ToString(CultureInfo.InvariantCulture));
        await Expect(bar).ToHaveClassAsync("bar over"); // 10 of 10: past its 100 % threshold
        await ShotAsync(page, "04-usage-bar-moved");

        // 5. The forecast line is drawn from today to the period's end, at the projection.
        var forecast = page.Locator("#budget svg line.forecast");
        await Expect(forecast).ToHaveCountAsync(1);
        var projected = decimal.Parse((await forecast.GetAttributeAsync("data-projected"))!, CultureInfo.InvariantCulture);
        Assert.True(projected >= consumed, $"projected {projected} < used {consumed}");
        await Expect(page.Locator("#budget polyline.usage")).ToHaveCountAsync(1);
        await Expect(page.Locator("#top-people")).ToContainTextAsync("ana");
        await Expect(page.Locator("#top-models")).ToContainTextAsync("gpt-small");
        await page.Locator("#budget").ScrollIntoViewIfNeededAsync();
        await ShotAsync(page, "05-forecast");

        // 6. The worker's evaluation raised the 70, 90 and 100 % alerts of Marketing.
        foreach (var threshold in new[] { "0.7", "0.9", "1.0" })
            await Expect(Alert(page, "marketing", threshold)).ToHaveCountAsync(1);
        await page.Locator("#alerts").ScrollIntoViewIfNeededAsync();
        await ShotAsync(page, "06-alerts");

        // 7. The chargeback CSV through the link: its quantity column sums to what was consumed.
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#chargeback-link").ClickAsync());
        var lines = (await File.ReadAllLinesAsync((await download.PathAsync())!)).Where(l => l.Length > 0).ToList();
        var quantityColumn = Array.IndexOf(lines[0].Split(','), "quantity");
        Assert.Equal(consumed, lines.Skip(1).Sum(l => long.Parse(l.Split(',')[quantityColumn], CultureInfo.InvariantCulture)));
        Assert.EndsWith(".csv", download.SuggestedFilename);
        await ShotAsync(page, "07-chargeback-downloaded");
    }

    [Theory]
    [InlineData("en", 1200, "This period's budget", "Departments", "Alerts", "Audit log")]
    [InlineData("es", 1200, "Presupuesto de este periodo", "Departamentos", "Alertas", "Registro de auditoría")]
    [InlineData("en", 375, "This period's budget", "Departments", "Alerts", "Audit log")]
    public async Task The_overview_has_no_serious_or_critical_accessibility_violations(string locale, int width, params string[] headings)
    {
        var tenant = await dashboard.Stack.NewTenantAsync();
        using (var backend = dashboard.Stack.Api.Client(await dashboard.Stack.BackendTokenAsync(tenant)))
        {
            await backend.SendAsync(HttpMethod.Put, "/v1/tenant/budget", new { limit = 50, unit = "request", period = "monthly", overQuota = "warn", alertThresholds = new[] { 0.5 } });
            await backend.SendAsync(HttpMethod.Put, "/v1/tenant/departments/sales", new { name = "Sales", budget = new { limit = 10, unit = "request", period = "monthly", overQuota = "warn", alertThresholds = new[] { 0.5 } } });
            await backend.SendAsync(HttpMethod.Put, "/v1/tenant/subjects/carla", new { departmentId = "sales" });
            await backend.ConsumeAsync(new { subjectId = "carla", operationClass = "summaries", quantity = 6, model = "gpt-large", idempotencyKey = Guid.NewGuid().ToString() });
        }
        await dashboard.RunWorkerAsync(tenant.Id);
        var page = await dashboard.NewPageAsync(locale, width);
        await dashboard.SignInAsync(page, tenant);
        if (locale != "en") await page.GotoAsync(new Uri(dashboard.Stack.Api.Address, $"/dashboard?lang={locale}").ToString());

        foreach (var heading in headings)
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true })).ToBeVisibleAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", locale);
        await Expect(Alert(page, "sales", "0.5")).ToHaveCountAsync(1);
        await ShotAsync(page, $"axe-{locale}-{width}");
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        AxeResult axe = await page.RunAxe();

        foreach (var violation in axe.Violations)
            output.WriteLine($"{violation.Impact} {violation.Id}: {violation.Help} ({string.Join(", ", violation.Nodes.Select(n => n.Target))})");
        Assert.Empty(axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Impact} {v.Id}"));
        Assert.True(overflow <= 0, $"the page is {overflow}px wider than a {width}px screen"); // tables scroll inside their own box
    }
}
