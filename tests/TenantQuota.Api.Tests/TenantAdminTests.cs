using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

public sealed class TenantAdminTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;
    private HttpClient Admin => _host.Client(TestTokens.For(null, "platform.admin"));
    private static string NewId() => $"adm-{Guid.NewGuid():N}"[..16];

    [Fact]
    public async Task Creates_a_tenant_and_reads_it_back()
    {
        var id = NewId();
        var created = await Admin.SendAsync(HttpMethod.Post, "/v1/tenants", new { id, name = "Acme", tier = "free", timeZone = "Europe/Madrid" });
        var read = await Admin.SendAsync(HttpMethod.Get, $"/v1/tenants/{id}");

        Assert.Equal(201, created.Status);
        Assert.Equal($"/v1/tenants/{id}", created.Response.Headers.Location!.OriginalString);
        Assert.Equal(200, read.Status);
        Assert.Equal((id, "Acme", "free", "Europe/Madrid"),
            ((string)read.Json["id"]!, (string)read.Json["name"]!, (string)read.Json["tier"]!, (string)read.Json["timeZone"]!));
    }

    [Fact]
    public async Task Answers_409_for_a_tenant_id_that_exists()
    {
        var id = NewId();
        await Admin.SendAsync(HttpMethod.Post, "/v1/tenants", new { id, name = "A", tier = "free", timeZone = "UTC" });
        var again = await Admin.SendAsync(HttpMethod.Post, "/v1/tenants", new { id, name = "B", tier = "pro", timeZone = "UTC" });

        Assert.Equal(409, again.Status);
        Assert.Equal("application/problem+json", again.ContentType);
        Assert.Equal("A", (string)(await Admin.SendAsync(HttpMethod.Get, $"/v1/tenants/{id}")).Json["name"]!);
    }

    [Theory]
    [InlineData("gold", "UTC", "tier")]
    [InlineData("free", "Mars/Olympus", "timeZone")]
    [InlineData("free", "Pacific Standard Time", "timeZone")]
    [InlineData("free", "", "timeZone")]
    [InlineData(null, "UTC", "tier")]
    public async Task Rejects_an_unknown_tier_or_time_zone_with_400(string? tier, string timeZone, string field)
    {
        var id = NewId();
        var answer = await Admin.SendAsync(HttpMethod.Post, "/v1/tenants", new { id, name = "X", tier, timeZone });

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]![field]);
        Assert.Equal(404, (await Admin.SendAsync(HttpMethod.Get, $"/v1/tenants/{id}")).Status);
    }

    [Theory]
    [InlineData("x\u0000y")]
    [InlineData("   ")]
    public async Task Rejects_a_blank_or_control_character_name_with_400(string name)
    {
        var answer = await Admin.SendAsync(HttpMethod.Post, "/v1/tenants", new { id = NewId(), name, tier = "free", timeZone = "UTC" });
        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]!["name"]);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("has space")]
    [InlineData("")]
    [InlineData("-leading-dash")]
    public async Task Rejects_a_malformed_tenant_id_with_400(string id)
    {
        var answer = await Admin.SendAsync(HttpMethod.Post, "/v1/tenants", new { id, name = "X", tier = "free", timeZone = "UTC" });
        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]!["id"]);
    }

    [Fact]
    public async Task Answers_404_for_an_unknown_tenant()
    {
        Assert.Equal(404, (await Admin.SendAsync(HttpMethod.Get, "/v1/tenants/nobody-here")).Status);
        Assert.Equal(404, (await Admin.SendAsync(HttpMethod.Put, "/v1/tenants/nobody-here/tier", new { tier = "pro" })).Status);
    }

    [Fact]
    public async Task Rejects_an_unknown_tier_on_change_with_400_and_keeps_the_old_one()
    {
        var id = await _host.CreateTenantAsync("free");
        var answer = await Admin.SendAsync(HttpMethod.Put, $"/v1/tenants/{id}/tier", new { tier = "platinum" });

        Assert.Equal(400, answer.Status);
        Assert.Equal("free", (string)(await Admin.SendAsync(HttpMethod.Get, $"/v1/tenants/{id}")).Json["tier"]!);
    }

    [Fact]
    public async Task Applies_a_tier_change_on_the_next_request_and_keeps_usage_counted_in_the_window()
    {
        var id = await _host.CreateTenantAsync("free");
        var backend = _host.Client(TestTokens.For(id, "quota.check", "quota.consume"));
        await backend.ConsumeAsync(new { subjectId = "u", operationClass = "summaries", quantity = 10, idempotencyKey = "fill" });
        Assert.Equal("deny", (await backend.CheckAsync(new { subjectId = "u", operationClass = "summaries" })).Decision);

        var changed = await Admin.SendAsync(HttpMethod.Put, $"/v1/tenants/{id}/tier", new { tier = "pro" });
        var after = await backend.CheckAsync(new { subjectId = "u", operationClass = "summaries" });

        Assert.Equal(("pro", 200), ((string)changed.Json["tier"]!, changed.Status));
        Assert.Equal(("allow", "pro", 11L, 200L), (after.Decision, (string)after.Json["tier"]!, after.Used, (long)after.Json["hardLimit"]!));
    }

    [Fact]
    public async Task Counts_only_this_weeks_usage_when_a_monthly_class_becomes_weekly()
    {
        var id = await _host.CreateTenantAsync("pro");
        var backend = _host.Client(TestTokens.For(id, "quota.check", "quota.consume"));
        _host.Clock.Set("2026-11-03T09:00:00Z"); // an earlier week of the month
        await backend.ConsumeAsync(new { subjectId = "u", operationClass = "deep_research", quantity = 40, idempotencyKey = "early" });
        _host.Clock.Set("2026-11-18T09:00:00Z"); // the week of Monday 16 Nov
        await backend.ConsumeAsync(new { subjectId = "u", operationClass = "deep_research", quantity = 2, idempotencyKey = "this-week" });

        await Admin.SendAsync(HttpMethod.Put, $"/v1/tenants/{id}/tier", new { tier = "free" });
        var after = await backend.CheckAsync(new { subjectId = "u", operationClass = "deep_research", quantity = 1 });
        var tooMuch = await backend.CheckAsync(new { subjectId = "u", operationClass = "deep_research", quantity = 2 });

        Assert.Equal(("warn", 3L, "2026-11-23T00:00:00Z"), (after.Decision, after.Used, (string)after.Json["resetsAt"]!));
        Assert.Equal(("deny", 2L), (tooMuch.Decision, tooMuch.Used));
    }

    [Fact]
    public async Task Loses_no_consume_that_races_a_tier_change()
    {
        var id = await _host.CreateTenantAsync("free");
        var backend = _host.Client(TestTokens.For(id, "quota.check", "quota.consume"));
        _host.Clock.Set("2026-11-18T09:00:00Z");

        var consumes = Enumerable.Range(0, 40).Select(i => backend.ConsumeAsync(
            new { subjectId = "u", operationClass = "deep_research", quantity = 1, idempotencyKey = $"race-{i}" })).ToList();
        var change = Admin.SendAsync(HttpMethod.Put, $"/v1/tenants/{id}/tier", new { tier = "pro" });
        var answers = await Task.WhenAll(consumes);
        await change;

        var granted = answers.Count(a => a.Allowed);
        var usage = await backend.CheckAsync(new { subjectId = "u", operationClass = "deep_research" });
        Assert.Equal(granted + 1, usage.Used);
    }

    [Fact]
    public async Task Serves_the_matrix_on_plans_to_any_valid_token()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var plans = await _host.Client(TestTokens.For(tenant, "quota.consume")).SendAsync(HttpMethod.Get, "/v1/plans");

        Assert.Equal(200, plans.Status);
        Assert.Equal(["free", "pro", "team", "enterprise"], plans.Json["tiers"]!.AsArray().Select(t => (string)t!));
        var cell = plans.Json["matrix"]!["free"]!["drafts"]!;
        Assert.Equal((15L, 20L, "daily", "degrade", "summaries"),
            ((long)cell["softLimit"]!, (long)cell["hardLimit"]!, (string)cell["reset"]!, (string)cell["overQuota"]!, (string)cell["fallbackClass"]!));
        Assert.Equal("request", (string)plans.Json["operationClasses"]![0]!["unit"]!);
    }
}
