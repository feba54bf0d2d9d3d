using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

public sealed class CheckTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    [Fact]
    public async Task Answers_what_a_request_would_do_and_records_nothing()
    {
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free"), "quota.check", "quota.consume"));
        await client.ConsumeAsync(new { subjectId = "u", operationClass = "summaries", quantity = 7, idempotencyKey = "seven" });

        var first = await client.CheckAsync(new { subjectId = "u", operationClass = "summaries", quantity = 1 });
        var second = await client.CheckAsync(new { subjectId = "u", operationClass = "summaries", quantity = 1 });
        var tooMuch = await client.CheckAsync(new { subjectId = "u", operationClass = "summaries", quantity = 4 });

        Assert.Equal(("warn", 8L, false), (first.Decision, first.Used, (bool)first.Json["recorded"]!));
        Assert.Equal(8, second.Used);
        Assert.Equal(("deny", 7L, 3L), (tooMuch.Decision, tooMuch.Used, (long)tooMuch.Json["remaining"]!));
        Assert.Equal(7, (await client.UsageAsync("u")).Json["classes"]![0]!["used"]!.GetValue<long>());
    }

    [Fact]
    public async Task Answers_every_contract_field()
    {
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("pro"), "quota.check"));

        var answer = await client.CheckAsync(new { subjectId = "u", operationClass = "drafts" });

        Assert.Equal(200, answer.Status);
        var body = answer.Json.AsObject();
        foreach (var field in new[] { "allowed", "decision", "operationClass", "tier", "used", "softLimit", "hardLimit", "remaining",
                     "resetsAt", "state", "fallbackClass", "recorded", "duplicate", "message" })
            Assert.True(body.ContainsKey(field), $"missing {field}");
        Assert.Equal(("pro", "drafts", 1L, 300L, 400L), ((string)body["tier"]!, (string)body["operationClass"]!, answer.Used,
            (long)body["softLimit"]!, (long)body["hardLimit"]!));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", (string)body["resetsAt"]!);
        Assert.Equal("399", answer.Header("X-Quota-Remaining"));
    }

    [Theory]
    [InlineData("es", "No te quedan suficientes")]
    [InlineData("es-MX,en;q=0.5", "No te quedan suficientes")]
    [InlineData("fr-FR, es;q=0.8, en;q=0.9", "Not enough")]
    [InlineData("de", "Not enough")]
    [InlineData(null, "Not enough")]
    public async Task Renders_the_message_in_the_best_accepted_language(string? acceptLanguage, string expectedTitleStart)
    {
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free"), "quota.check"));

        var answer = await client.CheckAsync(new { subjectId = "u", operationClass = "summaries", quantity = 11 }, acceptLanguage);

        Assert.StartsWith(expectedTitleStart, (string)answer.Json["message"]!["title"]!);
    }

    [Fact]
    public async Task Tells_what_an_upgrade_unlocks_in_the_stop_message()
    {
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free"), "quota.check"));

        var answer = await client.CheckAsync(new { subjectId = "u", operationClass = "summaries", quantity = 11 });

        var message = answer.Json["message"]!;
        Assert.EndsWith("Pro gives you 200 summaries a day.", (string)message["body"]!);
        Assert.Equal("https://app.tenantquota.dev/upgrade", (string)message["cta"]!["url"]!);
    }

    [Fact]
    public async Task Checks_arriving_together_are_each_answered_from_their_own_counters()
    {
        // Concurrent checks are read in groups (one statement for many requests); each must get its own tenant's and subject's count.
        var tenants = new[] { await _host.CreateTenantAsync("free"), await _host.CreateTenantAsync("pro") };
        var subjects = tenants.SelectMany(t => Enumerable.Range(0, 8).Select(i => (Tenant: t, Subject: $"u{i}", Used: i % 5 + 1))).ToList();
        foreach (var s in subjects)
            await _host.Client(TestTokens.For(s.Tenant, "quota.consume"))
                .ConsumeAsync(new { subjectId = s.Subject, operationClass = "summaries", quantity = s.Used, idempotencyKey = $"{s.Subject}-seed" });

        var checks = subjects.SelectMany(s => Enumerable.Repeat(s, 15)).Select(async s =>
            (Expected: s.Used + 1L, (await _host.Client(TestTokens.For(s.Tenant, "quota.check")).CheckAsync(new { subjectId = s.Subject, operationClass = "summaries" })).Used));
        var answers = await Task.WhenAll(checks);

        Assert.All(answers, a => Assert.Equal(a.Expected, a.Used));
    }
}
