using Microsoft.Playwright;
using TenantQuota.Testing;

namespace TenantQuota.Browser.Tests;

[CollectionDefinition(Name)]
public sealed class DemoBrowserCollection : ICollectionFixture<DemoBrowser>
{
    public const string Name = "demo in a browser";
}

/// <summary>
/// The demo product on a real API host, with a demo tenant of this run's own (free, Europe/Madrid), and
/// Debian's Chromium driven by Playwright. The clock stands at 23:44 in Madrid, sixteen minutes before
/// the daily reset, so what the copy says about time is known.
/// </summary>
public sealed class DemoBrowser : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    public static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-30T22:44:00Z");

    private IPlaywright? _playwright;
    private OwnDatabase? _database;

    public string Tenant { get; } = $"demo-{Guid.NewGuid():N}"[..20];
    public ApiHost Api { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>artifacts/screenshots at the top of the repository: CI keeps them, people look at them.</summary>
    public static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(RepositoryRoot(), "artifacts", "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: scripts/test.sh installs it (apt-get install -y chromium). Tests never download a browser.");
        // A database of its own: the demo's view tokens are minted on a clock fixed in the past, and any host at the real
        // time minting one sweeps every tenant's expired tokens, the demo's included (the meter would then lose its token).
        _database = await OwnDatabase.CreateAsync("demo");
        Api = new ApiHost(new Dictionary<string, string?>
        {
            ["Demo:Enabled"] = "true", ["Demo:Tenants:0"] = Tenant, ["ConnectionStrings:TenantQuota"] = _database.ConnectionString,
        });
        Api.Clock.Set(Now);
        await Api.CreateTenantAsync("free", "Europe/Madrid", Tenant);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A page of the demo for a new user of the demo tenant, in a browser of that language.</summary>
    public async Task<IPage> OpenDemoAsync(string locale = "en")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = locale, TimezoneId = "Europe/Madrid", ViewportSize = new ViewportSize { Width = 1200, Height = 900 },
        });
        SlowMachine.Apply(context);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(Api.Address, $"/demo?tenant={Tenant}").ToString());
        await page.Locator("#tenant").SelectOptionAsync(Tenant);
        await page.Locator("#user").FillAsync($"user-{Guid.NewGuid():N}"[..13]);
        await page.Locator("#user").PressAsync("Enter");
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Api is not null) await Api.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TenantQuota.sln"))) return dir.FullName;
        return AppContext.BaseDirectory;
    }
}
