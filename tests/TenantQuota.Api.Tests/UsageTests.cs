using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

public sealed class UsageTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    [Fact]
    public async Task Lists_every_class_with_its_usage_limits_and_state()
    {
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free"), "quota.check", "quota.consume"));
        await client.ConsumeAsync(new { subjectId = "maria", operationClass = "summaries", quantity = 8, idempotencyKey = "a" });
        await client.ConsumeAsync(new { subjectId = "maria", operationClass = "drafts", quantity = 20, idempotencyKey = "b" });

        var usage = await client.UsageAsync("maria");

        Assert.Equal(200, usage.Status);
        Assert.Equal(("maria", "free"), ((string)usage.Json["subjectId"]!, (string)usage.Json["tier"]!));
        var classes = usage.Json["classes"]!.AsArray().ToDictionary(c => (string)c!["operationClass"]!, c => c!);
        Assert.Equal(["summaries", "drafts", "deep_research", "background_indexing", "chat"], classes.Keys);
        Assert.Equal((8L, 2L, "soft_limit", "warning"), ((long)classes["summaries"]["used"]!, (long)classes["summaries"]["remaining"]!,
            (string)classes["summaries"]["state"]!, (string)classes["summaries"]["message"]!["severity"]!));
        Assert.Equal((20L, "hard_limit"), ((long)classes["drafts"]["used"]!, (string)classes["drafts"]["state"]!));
        Assert.Equal((0L, "ok"), ((long)classes["deep_research"]["used"]!, (string)classes["deep_research"]["state"]!));
        Assert.Null(classes["background_indexing"]["message"]);
    }

    [Theory]
    [InlineData("org/ana")]
    [InlineData("50%off")]
    [InlineData("org%2Fana")]
    [InlineData("josé@example.com")]
    [InlineData(".hidden")]
    [InlineData("a..b")]
    [InlineData("😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀")] // 200 code points, 400 UTF-16 units: the limit counts characters
    public async Task Reads_back_the_usage_of_any_subject_id_consume_accepted(string subject)
    {
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free"), "quota.check", "quota.consume"));
        await client.ConsumeAsync(new { subjectId = subject, operationClass = "summaries", quantity = 3, idempotencyKey = "k" });

        var usage = await client.UsageAsync(subject); // the id percent-encoded once, "/" as %2F

        Assert.Equal(subject, (string)usage.Json["subjectId"]!);
        Assert.Equal(3, (long)usage.Json["classes"]![0]!["used"]!);
    }

    [Fact]
    public async Task Reads_back_a_subject_id_that_older_versions_accepted()
    {
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free"), "quota.check"));

        var usage = await client.UsageAsync("john smith");

        Assert.Equal((200, "john smith"), (usage.Status, (string)usage.Json["subjectId"]!));
    }
}
