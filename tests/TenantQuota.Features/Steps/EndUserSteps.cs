using Reqnroll;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>The embeddable meter's side: view tokens, the usage it reads, and the pages allowed to read it.</summary>
[Binding]
public sealed class EndUserSteps(ScenarioApi api)
{
    private string? _viewToken;

    private string ViewToken => _viewToken ?? throw new InvalidOperationException("No view token was made (When the back end makes a view token for …).");

    [Given("the tenant's pages are served from {string}")]
    public async Task TheTenantsPagesAreServedFrom(string origin)
    {
        var admin = api.Host.Client(TestTokens.For(api.RequireTenant, "tenant.admin"));
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Put, "/v1/tenant/allowed-origins", new { allowedOrigins = new[] { origin } })).Status);
    }

    [When("the back end makes a view token for {string}")]
    public Task MakesAViewToken(string subject) => MakesAViewTokenThatLives(subject, 900);

    [When("the back end makes a view token for {string} that lives {int} seconds")]
    public async Task MakesAViewTokenThatLives(string subject, int seconds)
    {
        var answer = await api.Backend().SendAsync(HttpMethod.Post, $"/v1/subjects/{subject}/view-tokens", new { ttlSeconds = seconds });
        Assert.Equal(201, answer.Status);
        _viewToken = (string)answer.Json["token"]!;
    }

    [When("{int} seconds pass")]
    public void SecondsPass(int seconds) => api.Host.Clock.Advance(TimeSpan.FromSeconds(seconds));

    [When("the meter reads the usage with it in language {string}")]
    public async Task TheMeterReads(string language) =>
        api.Record(await api.Host.Client(ViewToken).SendAsync(HttpMethod.Get, "/v1/me/usage", acceptLanguage: language));

    [When("the view token is used to check {long} {string} for {string}")]
    public async Task TheViewTokenChecks(long quantity, string operationClass, string subject) =>
        api.Record(await api.Host.Client(ViewToken).CheckAsync(new { subjectId = subject, operationClass, quantity }));

    [Then("the answer is HTTP {int}")]
    public void TheAnswerIs(int status) => Assert.Equal(status, api.RequireLast.Status);

    [Then("the meter shows {long} of {long} {string} used")]
    public void TheMeterShows(long used, long hardLimit, string displayName)
    {
        var shown = api.RequireLast.Json["classes"]!.AsArray().Single(c => (string)c!["displayName"]! == displayName)!;
        Assert.Equal((used, hardLimit), ((long)shown["used"]!, (long)shown["hardLimit"]!));
    }

    [Then("the meter's message title is {string}")]
    public void TheMetersMessageTitleIs(string title) =>
        Assert.Contains(api.RequireLast.Json["classes"]!.AsArray(), c => (string?)c!["message"]?["title"] == title);

    [Then("a page on {string} may read the usage")]
    public async Task APageMayRead(string origin) => Assert.Equal(origin, await AllowedOriginAsync(origin));

    [Then("a page on {string} may not")]
    public async Task APageMayNot(string origin) => Assert.Null(await AllowedOriginAsync(origin));

    [When("the meter reports that the {string} banner was shown {int} times and upgrade was clicked once")]
    public async Task TheMeterReports(string operationClass, int shown)
    {
        var meter = api.Host.Client(ViewToken);
        foreach (var type in Enumerable.Repeat("banner_shown", shown).Append("upgrade_clicked"))
            Assert.Equal(202, (await meter.SendAsync(HttpMethod.Post, "/v1/ux-events", new { type, operationClass })).Status);
    }

    [Then("the tenant's metrics for {string} show {int} of {int} users hit the hard limit")]
    public async Task UsersHitTheHardLimit(string operationClass, int hit, int users)
    {
        var metrics = await MetricsAsync(operationClass);
        Assert.Equal((users, (double)hit / users), ((int)metrics["subjects"]!, (double)metrics["hardLimitHitRate"]!));
    }

    [Then("the tenant's metrics for {string} show an upgrade click-through of {double}")]
    public async Task UpgradeClickThrough(string operationClass, double rate) =>
        Assert.Equal(rate, (double)(await MetricsAsync(operationClass))["upgradeClickThrough"]!);

    private async Task<System.Text.Json.Nodes.JsonNode> MetricsAsync(string operationClass)
    {
        var admin = api.Host.Client(TestTokens.For(api.RequireTenant, "tenant.admin"));
        api.Host.Clock.Advance(TimeSpan.FromSeconds(1)); // "to" is now: past what was just reported
        var answer = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/ux-metrics");
        Assert.Equal(200, answer.Status);
        return answer.Json["classes"]!.AsArray().Single(c => (string)c!["operationClass"]! == operationClass)!;
    }

    /// <summary>What the browser checks before it hands the answer to the page: Access-Control-Allow-Origin.</summary>
    private async Task<string?> AllowedOriginAsync(string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/me/usage");
        request.Headers.Add("Origin", origin);
        request.Headers.Authorization = new("Bearer", ViewToken);
        var response = await api.Host.Client().SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        return response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null;
    }
}
