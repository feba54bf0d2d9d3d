using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TenantQuota.Browser.Tests;

/// <summary>What a person sees in the demo as they spend quota: the banner, the meter, the stop and its offer.</summary>
[Collection(DemoBrowserCollection.Name)]
public sealed class DemoPageTests(DemoBrowser demo, ITestOutputHelper output)
{
    /// <summary>
    /// Presses an action button, waits for the demo back end's answer (longer than Playwright's 30 s: CI shares two cores
    /// with every suite), then for the page to finish with it: the page drops a press while two are already waiting (a
    /// held-down Enter), so a press made while the last one still refreshes the meter could be dropped on a slow machine.
    /// </summary>
    private static async Task PressAsync(IPage page, string operationClass)
    {
        await page.RunAndWaitForResponseAsync(() => page.Locator($"#act-{operationClass}").ClickAsync(), r => r.Url.EndsWith("/demo/act", StringComparison.Ordinal),
            new PageRunAndWaitForResponseOptions { Timeout = SlowMachine.Timeout });
        await Expect(page.Locator("#main")).ToHaveAttributeAsync("aria-busy", "false");
    }

    private static ILocator Meter(IPage page, string displayName) => page.GetByRole(AriaRole.Meter, new() { Name = displayName });

    private static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DemoBrowser.Screenshots, name + ".png"), FullPage = true });

    [Theory]
    [InlineData("en", "Summaries", "3 summaries left today", "Only 2 summaries left today", "Almost out: 1 summary left today",
        "That was your last summary today", "You're out of summaries today",
        "More arrive in 16 minutes (Tuesday, December 1 at 12:00 AM, Europe/Madrid).", "Upgrade to Pro")]
    [InlineData("es", "Resúmenes", "Te quedan 3 resúmenes hoy", "Solo te quedan 2 resúmenes hoy", "Casi sin resúmenes: te queda 1 hoy",
        "Ese fue tu último resumen hoy", "Te has quedado sin resúmenes hoy",
        "Tendrás más en 16 minutos (martes 1 de diciembre a las 0:00, Europe/Madrid).", "Pasar a Pro")]
    public async Task A_user_is_nudged_warned_warned_again_and_stopped_while_the_meter_follows(
        string locale, string className, string nudge, string softLimit, string finalWarning, string last, string stop, string resets, string upgrade)
    {
        var page = await demo.OpenDemoAsync(locale);
        await page.Locator("#lang").SelectOptionAsync(locale);
        (int Presses, string Severity, string Title, string Shot)[] stages =
            [(7, "info", nudge, "1-nudge"), (8, "warning", softLimit, "2-soft-limit"), (9, "warning", finalWarning, "3-final-warning"),
             (10, "error", last, "4-last-one"), (11, "error", stop, "5-stop")];

        var pressed = 0;
        foreach (var (presses, severity, title, shot) in stages)
        {
            while (pressed < presses) { await PressAsync(page, "summaries"); pressed++; }
            await Expect(page.Locator("#banner-title")).ToHaveTextAsync(title);
            await Expect(page.Locator("#banner")).ToHaveAttributeAsync("data-severity", severity);
            await Expect(Meter(page, className)).ToHaveAttributeAsync("aria-valuenow", Math.Min(pressed, 10).ToString());
            await ShotAsync(page, $"{locale}-{shot}");
        }

        await Expect(page.Locator("#banner")).ToHaveAttributeAsync("role", "alert");
        await Expect(page.Locator("#banner-body")).ToContainTextAsync(resets);
        await Expect(page.Locator("#banner-cta")).ToHaveTextAsync(upgrade);
        await Expect(Meter(page, className)).ToHaveAttributeAsync("aria-valuemax", "10");
    }

    [Fact]
    public async Task The_meter_reports_a_banner_again_for_the_next_user_who_reaches_the_same_stage()
    {
        var page = await demo.OpenDemoAsync();
        await page.EvaluateAsync("() => { window.shown = []; document.querySelector('#meter').addEventListener('tq-banner-shown', e => window.shown.push(e.detail.operationClass)); }");
        for (var i = 0; i < 7; i++) await PressAsync(page, "summaries");
        await Expect(Meter(page, "Summaries")).ToHaveAttributeAsync("aria-valuenow", "7");

        await page.Locator("#user").FillAsync($"user-{Guid.NewGuid():N}"[..13]);
        await page.Locator("#user").PressAsync("Enter");
        await Expect(Meter(page, "Summaries")).ToHaveAttributeAsync("aria-valuenow", "0");
        for (var i = 0; i < 7; i++) await PressAsync(page, "summaries");
        await Expect(Meter(page, "Summaries")).ToHaveAttributeAsync("aria-valuenow", "7");

        // The same nudge title for two users: two banners shown, one for each.
        Assert.Equal(["summaries", "summaries"], await page.EvaluateAsync<string[]>("() => window.shown"));
    }

    [Fact]
    public async Task The_demo_works_from_the_keyboard_alone_and_the_upgrade_offer_can_be_reached_by_tab()
    {
        var page = await demo.OpenDemoAsync();
        await page.Locator("#act-summaries").FocusAsync();
        for (var i = 0; i < 11; i++)
        {
            await page.RunAndWaitForResponseAsync(() => page.Keyboard.PressAsync("Enter"), r => r.Url.EndsWith("/demo/act", StringComparison.Ordinal));
            await Expect(page.Locator("#main")).ToHaveAttributeAsync("aria-busy", "false");
        }
        await Expect(page.Locator("#banner-title")).ToHaveTextAsync("You're out of summaries today");

        string? focused = null;
        for (var tabs = 0; tabs < 30 && focused != "banner-cta"; tabs++)
        {
            await page.Keyboard.PressAsync("Tab");
            focused = await page.EvaluateAsync<string>("() => document.activeElement?.id ?? ''");
        }

        Assert.Equal("banner-cta", focused);
        var outline = await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle");
        Assert.NotEqual("none", outline); // a visible focus ring
    }

    [Fact]
    public async Task The_demo_page_and_its_meter_have_no_serious_or_critical_accessibility_violations_at_the_stop()
    {
        var page = await demo.OpenDemoAsync();
        for (var i = 0; i < 11; i++) await PressAsync(page, "summaries");
        await Expect(page.Locator("#banner-title")).ToHaveTextAsync("You're out of summaries today");
        await Expect(Meter(page, "Summaries")).ToHaveAttributeAsync("aria-valuenow", "10");

        AxeResult axe = await page.RunAxe();

        foreach (var violation in axe.Violations)
            output.WriteLine($"{violation.Impact} {violation.Id}: {violation.Help} ({string.Join(", ", violation.Nodes.Select(n => n.Target))})");
        Assert.Empty(axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Impact} {v.Id}"));
    }
}
