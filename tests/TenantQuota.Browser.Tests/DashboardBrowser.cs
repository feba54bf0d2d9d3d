using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using TenantQuota.Testing;
using TenantQuota.Worker.Alerts;
using TenantQuota.Worker.Analytics;

namespace TenantQuota.Browser.Tests;

[CollectionDefinition(Name)]
public sealed class DashboardBrowserCollection : ICollectionFixture<DashboardBrowser>
{
    public const string Name = "dashboard in a browser";
}

/// <summary>
/// The dashboard as scripts/start.sh serves it: the real identity host, an API that trusts it, and a real worker over
/// the same database (its schedules off: tests roll usage up and evaluate alerts when they mean to, rather than wait),
/// with Debian's Chromium driven by Playwright.
/// </summary>
public sealed class DashboardBrowser : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public DashboardStack Stack { get; private set; } = null!;
    public WorkerProcess Worker { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Stack = await DashboardStack.StartAsync();
        Worker = await WorkerProcess.StartAsync(new Dictionary<string, string?>(TestRabbitMq.Dashboard.Settings())
        {
            ["ConnectionStrings:TenantQuota"] = TestDatabase.ConnectionString,
            ["Worker:OverageQueue"] = "dashboard-browser-overage",
            ["Worker:TenantEventsQueue"] = "dashboard-browser-tenant-events",
            ["Worker:AlertInterval"] = "00:00:00",
            ["Worker:RollupInterval"] = "00:00:00",
            ["Worker:ReportInterval"] = "00:00:00",
            ["Worker:ReconcileInterval"] = "00:00:00",
            ["Worker:BillingHousekeepingInterval"] = "00:00:00",
        });
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = DemoBrowser.Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>What the worker does on its schedules, for one tenant, now: the usage rollups, then the alert evaluation.</summary>
    public async Task RunWorkerAsync(string tenantId)
    {
        await Worker.Services.GetRequiredService<UsageRollup>().RollUpAsync(tenantId, CancellationToken.None);
        await Worker.Services.GetRequiredService<AlertEvaluator>().EvaluateAsync(tenantId, CancellationToken.None);
    }

    /// <summary>A browser window of its own (cookies included) in a language, at a width (375: a phone).</summary>
    public async Task<IPage> NewPageAsync(string locale = "en", int width = 1200)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = 900 }, AcceptDownloads = true,
            IsMobile = width < 500, HasTouch = width < 500,
        });
        SlowMachine.Apply(context);
        return await context.NewPageAsync();
    }

    /// <summary>Opens /dashboard and signs in on the identity provider's form as the tenant's admin.</summary>
    public async Task SignInAsync(IPage page, DashboardTenant tenant, Func<string, Task>? shot = null)
    {
        await page.GotoAsync(new Uri(Stack.Api.Address, "/dashboard").ToString());
        await page.Locator("#email").FillAsync(tenant.Email);
        await page.Locator("#password").FillAsync(tenant.Password);
        if (shot is not null) await shot("01-sign-in");
        await page.Locator("button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/dashboard");
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Worker is not null) await Worker.DisposeAsync();
        if (Stack is not null) await Stack.DisposeAsync();
    }
}
