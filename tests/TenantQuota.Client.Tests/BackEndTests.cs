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
        var tenant = await _stack.NewTenantAsync("free"); // free summaries: hard limit 10 a day, block
        await using var backEnd = await SampleBackEnd.StartAsync(_stack, tenant);

        var allowed = new List<int>();
        for (var i = 0; i < 10; i++) allowed.Add((await Read(backEnd.PostAsync("/summaries", "ana"))).Status);
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
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), english.ResetsAt - DateTime.UtcNow + TimeSpan.FromSeconds(1));
        Assert.Equal(10L, (await backEnd.Quota.UsageAsync("ana")).Classes.Single(c => c.OperationClass == "summaries").Used); // the denials recorded nothing
    }

    [Fact]
    public async Task A_request_sent_again_with_its_Idempotency_Key_is_counted_once_and_another_users_equal_key_is_their_own()
    {
        var tenant = await _stack.NewTenantAsync("free");
        await using var backEnd = await SampleBackEnd.StartAsync(_stack, tenant);

        var first = await Read(backEnd.PostAsync("/summaries", "ana", idempotencyKey: "click-1"));
        var again = await Read(backEnd.PostAsync("/summaries", "ana", idempotencyKey: "click-1"));
        var ben = await Read(backEnd.PostAsync("/summaries", "ben", idempotencyKey: "click-1"));
        var usage = await Task.WhenAll(backEnd.Quota.UsageAsync("ana"), backEnd.Quota.UsageAsync("ben"));

        Assert.Equal((200, 200, 200), (first.Status, again.Status, ben.Status));
        Assert.Equal([1L, 1L], usage.Select(u => u.Classes.Single(c => c.OperationClass == "summaries").Used));
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
}
