using Microsoft.Playwright;

namespace TenantQuota.Browser.Tests;

/// <summary>
/// Waits long enough for CI's two shared cores: an answer there has taken over 30 s (Playwright's default for actions)
/// and a form's post, redirect and render over 5 s (its default for expectations). A wait that holds still fails, later.
/// </summary>
public static class SlowMachine
{
    public const float Timeout = 90_000;

    public static void Apply(IBrowserContext context)
    {
        Assertions.SetDefaultExpectTimeout(Timeout);
        context.SetDefaultTimeout(Timeout);
    }
}
