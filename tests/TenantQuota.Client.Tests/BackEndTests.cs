using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Client.AspNetCore;
using TenantQuota.Testing;

namespace TenantQuota.Client.Tests;

/// <summary>A back end protecting its endpoints with one line each (<c>.RequireQuota("summaries")</c>), against the real API.</summary>
public sealed class BackEndTests(StackFixture fixture) : IClassFixture<StackFixture>
{
    private readonly DashboardStack _stack = fixture.Stack;

    private static async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> Read(Task<HttpResponseMessage> sending)
    {
        var response = await sending;
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null, response);
    }

    [Fact]
    public async Task The_handler_runs_while_the_user_has_quota_and_past_the_hard_limit_a_429_carries_the_copy_in_their_language()
    {
        _stack.Api.Clock.Set(DateTimeOffset.UtcNow); // the back end's Retry-After is resetsAt less the real time
        var tenant = await _stack.NewTenantAsync("free"); // free summaries: hard limit 10 a day, block
        await using var backEnd = await SampleBackEnd.StartAsync(_stack, tenant);

        var allowed = new List<int>();
        for (var i = 0; i < 10; i++) allowed.Add((await Read(backEnd.PostAsync("/summaries", "ana"))).Status);
        var askedAt = DateTime.UtcNow;
        var denied = await Read(backEnd.PostAsync("/summaries", "ana"));
        var deniedInSpanish = await Read(backEnd.PostAsync("/summaries", "ana", language: "es"));
        var english = await backEnd.Quota.CheckAsync(new QuotaRequest("ana", "summaries"));
        var spanish = await backEnd.Quota.CheckAsync(new QuotaRequest("ana", "summaries") { Language = "es" });

        Assert.All(allowed, status => Assert.Equal(200, status));
        Assert.Equal((10, 0), backEnd.HandlerRuns);
        Assert.Equal(429, denied.Status);
        Assert.Equal("application/problem+json", denied.Response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("https://docs.tenantquota.dev/problems/quota-exceeded", (string)denied.Body!["type"]!);
        Assert.Equal((english.Message!.Title, english.Message.Body), ((string)denied.Body["title"]!, (string)denied.Body["detail"]!));
        Assert.Equal((spanish.Message!.Title, spanish.Message.Body), ((string)deniedInSpanish.Body!["title"]!, (string)deniedInSpanish.Body["detail"]!));
        Assert.NotEqual(english.Message.Title, spanish.Message.Title);
        Assert.Equal(english.Message.Cta!.Url, (string)denied.Body["upgrade"]!["url"]!);
        Assert.Equal(english.ResetsAt, denied.Body["resetsAt"]!.GetValue<DateTime>().ToUniversalTime());
        var retryAfter = denied.Response.Headers.RetryAfter!.Delta!.Value;
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), english.ResetsAt - askedAt + TimeSpan.FromSeconds(1)); // whole seconds, rounded up
        Assert.Equal(10L, (await backEnd.Quota.UsageAsync("ana")).Classes.Single(c => c.OperationClass == "summaries").Used); // the denials recorded nothing
    }

    /// <summary>A repeated key would replay the first consume while the handler ran again: use for free.</summary>
    [Fact]
    public async Task Every_request_is_its_own_consume_even_when_the_caller_repeats_an_Idempotency_Key()
    {
        var tenant = await _stack.NewTenantAsync("free");
        await using var backEnd = await SampleBackEnd.StartAsync(_stack, tenant);

        var first = await Read(backEnd.PostAsync("/summaries", "ana", idempotencyKey: "click-1"));
        var again = await Read(backEnd.PostAsync("/summaries", "ana", idempotencyKey: "click-1"));
        var usage = await backEnd.Quota.UsageAsync("ana");

        Assert.Equal((200, 200), (first.Status, again.Status));
        Assert.Equal((2, 0), backEnd.HandlerRuns);
        Assert.Equal(2L, usage.Classes.Single(c => c.OperationClass == "summaries").Used);
    }

    [Fact]
    public async Task A_request_naming_no_user_is_401_and_consumes_nothing()
    {
        var tenant = await _stack.NewTenantAsync("free");
        await using var backEnd = await SampleBackEnd.StartAsync(_stack, tenant);

        var anonymous = await Read(backEnd.PostAsync("/summaries", user: null));

        Assert.Equal(401, anonymous.Status);
        Assert.Equal((0, 0), backEnd.HandlerRuns);
    }

    [Fact]
    public void A_back_end_configured_without_credentials_fails_at_start_naming_the_missing_settings()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TenantQuota:BaseAddress"] = "https://quota.example", ["TenantQuota:Issuer"] = "https://login.example/",
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddTenantQuota(configuration.GetSection("TenantQuota")));

        Assert.Contains("TenantQuota:ClientId, TenantQuota:ClientSecret", error.Message);
    }

    [Fact]
    public void Options_that_cannot_work_fail_when_the_client_is_made_and_the_secret_never_shows_in_ToString()
    {
        var options = new TenantQuotaClientOptions
        {
            BaseAddress = new Uri("https://quota.example"), Issuer = new Uri("https://login.example/"), ClientId = "backend", ClientSecret = "s3cret-value",
        };

        var timeout = Assert.Throws<ArgumentException>(() => TenantQuotaClient.Create(new HttpClient(), options with { RequestTimeout = TimeSpan.Zero }));
        var breaker = Assert.Throws<ArgumentException>(() => TenantQuotaClient.Create(new HttpClient(), options with { BreakAfterFailures = 0 }));

        Assert.Contains("RequestTimeout", timeout.Message);
        Assert.Contains("BreakAfterFailures", breaker.Message);
        Assert.DoesNotContain("s3cret-value", options.ToString());
        Assert.Contains("backend", options.ToString());
    }
}
