using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>Which models a tier, a department or a person may call, and budgets that degrade to a cheaper model.</summary>
public sealed class ModelAccessTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    private async Task<(HttpClient Admin, HttpClient Backend)> TenantAsync(string tier)
    {
        var id = await _host.CreateTenantAsync(tier);
        return (_host.Client(TestTokens.For(id, "tenant.admin")), _host.Client(TestTokens.For(id, "quota.check", "quota.consume")));
    }

    private static object Call(string subject, string model, string? key = null) => new
    {
        subjectId = subject, operationClass = "summaries", idempotencyKey = key ?? Guid.NewGuid().ToString("N"), model, tokens = new { input = 10_000, output = 1_000 },
    };

    [Fact]
    public async Task A_tier_that_does_not_list_a_model_refuses_it_points_at_its_first_model_and_replays_the_refusal()
    {
        var (_, backend) = await TenantAsync("free"); // free: gpt-small, embed-1

        var refused = await backend.ConsumeAsync(Call("ana", "gpt-large", "k"));
        var replay = await backend.ConsumeAsync(Call("ana", "gpt-large", "k"));
        var allowed = await backend.ConsumeAsync(Call("ana", "gpt-small"));

        Assert.Equal((false, "model", "subject", "gpt-small"), (refused.Allowed, (string?)refused.Json["reason"], (string?)refused.Json["limitingLevel"],
            (string?)refused.Json["fallbackModel"]));
        Assert.Equal((false, true), (replay.Allowed, (bool)replay.Json["duplicate"]!));
        Assert.Equal((true, 1L), (allowed.Allowed, allowed.Used));
    }

    [Fact]
    public async Task A_refused_model_takes_nothing_from_a_burst_allowance()
    {
        var (_, backend) = await TenantAsync("free"); // free chat: block with a burst of 5,000 tokens

        var refused = await backend.ConsumeAsync(new
        {
            subjectId = "ana", operationClass = "chat", idempotencyKey = "b", model = "gpt-large", tokens = new { input = 1_000, output = 0 },
        });
        var whole = await backend.ConsumeAsync(new { subjectId = "ana", operationClass = "chat", idempotencyKey = "w", quantity = 30_000 });

        Assert.Equal((200, false, "model"), (refused.Status, refused.Allowed, (string?)refused.Json["reason"]));
        Assert.Equal((true, 5_000L), (whole.Allowed, (long)whole.Json["burst"]!["fromThisRequest"]!)); // the whole burst was still there
    }

    [Fact]
    public async Task A_department_and_a_person_can_narrow_the_models_further()
    {
        var (admin, backend) = await TenantAsync("enterprise"); // any model
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/support", new { name = "Support", models = new[] { "gpt-small", "gpt-large" } });
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/subjects/sam", new { departmentId = "support" });
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/subjects/tia", new { departmentId = "support", models = new[] { "gpt-small" } });

        var department = await backend.ConsumeAsync(Call("sam", "claude-deep"));
        var person = await backend.ConsumeAsync(Call("tia", "gpt-large"));
        var outsider = await backend.ConsumeAsync(Call("uma", "claude-deep"));

        Assert.Equal((false, "department", "gpt-small"), (department.Allowed, (string?)department.Json["limitingLevel"], (string?)department.Json["fallbackModel"]));
        Assert.Equal((false, "subject", "model"), (person.Allowed, (string?)person.Json["limitingLevel"], (string?)person.Json["reason"]));
        Assert.True(outsider.Allowed);
    }

    [Fact]
    public async Task A_budget_that_degrades_to_a_cheaper_model_stops_the_others_and_lets_that_one_go_on()
    {
        var (admin, backend) = await TenantAsync("enterprise");
        _host.Clock.Set("2026-12-10T12:00:00Z"); // gpt-large: 10k in + 1k out = $0.028; gpt-small: $0.0021
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/eng", new
        {
            name = "Engineering", budget = new { limit = 0.05, unit = "usd", period = "monthly", overQuota = "degrade", fallbackModel = "gpt-small" },
        });
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/subjects/eli", new { departmentId = "eng" });

        var first = await backend.ConsumeAsync(Call("eli", "gpt-large"));
        var expensive = await backend.ConsumeAsync(Call("eli", "gpt-large"));
        var cheap = await backend.ConsumeAsync(Call("eli", "gpt-small"));

        Assert.True(first.Allowed);
        Assert.Equal((false, "department", "limit", "gpt-small"), (expensive.Allowed, (string?)expensive.Json["limitingLevel"],
            (string?)expensive.Json["reason"], (string?)expensive.Json["fallbackModel"]));
        Assert.Equal((true, 0.0301m), (cheap.Allowed, (decimal)cheap.Json["levels"]![0]!["used"]!));
    }

    [Theory]
    [InlineData("""{ "name": "X", "models": ["gpt-9"] }""", "models")]
    [InlineData("""{ "name": "X", "models": [] }""", "models")]
    [InlineData("""{ "name": "X", "budget": { "limit": 1, "unit": "usd", "period": "monthly", "overQuota": "degrade", "fallbackModel": "gpt-9" } }""", "budget.fallbackModel")]
    [InlineData("""{ "name": "X", "budget": { "limit": 1, "unit": "usd", "period": "monthly", "overQuota": "block", "fallbackModel": "gpt-small" } }""", "budget.fallbackModel")]
    public async Task A_bad_model_list_or_fallback_model_is_a_400_naming_the_field(string body, string field)
    {
        var (admin, _) = await TenantAsync("enterprise");
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        var answer = await ApiCalls.ReadAsync(await admin.PutAsync("/v1/tenant/departments/x", content));

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]![field]);
    }
}
