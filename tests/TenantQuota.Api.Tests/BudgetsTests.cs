using System.Text.Json.Nodes;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>Tenant → department → subject: every level charged together, the tightest wins, the answer says which.</summary>
public sealed class BudgetsTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    private sealed record Tenant(string Id, HttpClient Admin, HttpClient Backend);

    private async Task<Tenant> TenantAsync(string tier = "enterprise")
    {
        var id = await _host.CreateTenantAsync(tier);
        return new Tenant(id, _host.Client(TestTokens.For(id, "tenant.admin")), _host.Client(TestTokens.For(id, "quota.check", "quota.consume")));
    }

    private static Task<ApiAnswer> Department(Tenant t, string id, object body) => t.Admin.SendAsync(HttpMethod.Put, $"/v1/tenant/departments/{id}", body);

    private static Task<ApiAnswer> Place(Tenant t, string subject, string? departmentId, object? overrides = null) =>
        t.Admin.SendAsync(HttpMethod.Put, $"/v1/tenant/subjects/{subject}", new { departmentId, overrides });

    private static object Requests(long limit, string overQuota = "block", string? fallbackClass = null) =>
        new { limit, unit = "request", period = "monthly", overQuota, fallbackClass };

    private static Task<ApiAnswer> Consume(Tenant t, string subject, long quantity = 1, string operationClass = "summaries", string? key = null) =>
        t.Backend.ConsumeAsync(new { subjectId = subject, operationClass, quantity, idempotencyKey = key ?? Guid.NewGuid().ToString("N") });

    private static JsonNode Level(ApiAnswer answer, string level) => answer.Json["levels"]!.AsArray().Single(l => (string)l!["level"]! == level)!;

    [Fact]
    public async Task A_department_budget_shared_by_its_people_refuses_when_spent_though_each_cell_has_room()
    {
        var t = await TenantAsync();
        await Department(t, "marketing", new { name = "Marketing", budget = Requests(5) });
        await Place(t, "ana", "marketing");
        await Place(t, "bob", "marketing");

        var ana = await Consume(t, "ana", 3);
        var bob = await Consume(t, "bob", 2);
        var refused = await Consume(t, "bob", 1);
        var outsider = await Consume(t, "cy", 1);

        Assert.Equal(("department", 3L), ((string)ana.Json["limitingLevel"]!, (long)Level(ana, "department")["used"]!));
        Assert.True(bob.Allowed);
        Assert.Equal((false, "department", "limit", 2L), (refused.Allowed, (string)refused.Json["limitingLevel"]!, (string?)refused.Json["reason"], refused.Used));
        Assert.Equal((5m, 5m, 0m, "hard_limit"), ((decimal)Level(refused, "department")["used"]!, (decimal)Level(refused, "department")["limit"]!,
            (decimal)Level(refused, "department")["remaining"]!, (string)Level(refused, "department")["state"]!));
        Assert.Equal(("subject", 1), ((string)outsider.Json["limitingLevel"]!, outsider.Json["levels"]!.AsArray().Count)); // no department: only the cell
    }

    [Fact]
    public async Task People_asking_together_are_each_charged_to_their_own_department()
    {
        // Subject rows of requests that arrive together are read in one statement: each request must get its own person's row.
        var t = await TenantAsync();
        await Department(t, "sales", new { name = "Sales", budget = Requests(1000) });
        await Department(t, "support", new { name = "Support", budget = Requests(1000) });
        var people = Enumerable.Range(0, 16).Select(i => (Subject: $"p{i}", Department: i % 2 == 0 ? "sales" : "support")).ToList();
        foreach (var person in people) await Place(t, person.Subject, person.Department);

        var answers = await Task.WhenAll(people.SelectMany(person => Enumerable.Repeat(person, 10))
            .Select(async person => (person.Department, Answer: await Consume(t, person.Subject))));

        Assert.All(answers, a => Assert.Equal(a.Department, (string)Level(a.Answer, "department")["id"]!));
        Assert.Equal("sales=80,support=80", await ApiHost.Database.Scalar<string>(
            "SELECT string_agg(owner_id || '=' || used, ',' ORDER BY owner_id) FROM quota_counters WHERE tenant_id = $1 AND level = 'department'", t.Id));
    }

    [Fact]
    public async Task Each_department_meets_its_own_over_quota_action()
    {
        var t = await TenantAsync();
        await Department(t, "marketing", new { name = "Marketing", budget = Requests(1, "degrade", "drafts") });
        await Department(t, "engineering", new { name = "Engineering", budget = Requests(1) });
        await Department(t, "research", new { name = "Research", budget = Requests(1, "warn") });
        foreach (var (who, where) in new[] { ("mia", "marketing"), ("eli", "engineering"), ("rae", "research") })
        {
            await Place(t, who, where);
            await Consume(t, who);
        }

        var marketing = await Consume(t, "mia");
        var engineering = await Consume(t, "eli");
        var research = await Consume(t, "rae");

        Assert.Equal((false, "drafts"), (marketing.Allowed, (string?)marketing.Json["fallbackClass"]));
        Assert.Equal((false, null), (engineering.Allowed, (string?)engineering.Json["fallbackClass"]));
        Assert.Equal((true, "warn", 2m), (research.Allowed, research.Decision, (decimal)Level(research, "department")["used"]!));
    }

    [Fact]
    public async Task When_the_tenant_budget_runs_short_low_priority_stops_first_and_high_keeps_working_to_the_limit()
    {
        var t = await TenantAsync();
        await t.Admin.SendAsync(HttpMethod.Put, "/v1/tenant/budget", Requests(10));
        await Department(t, "ops", new { name = "Ops", priority = "high" });
        await Department(t, "labs", new { name = "Labs", priority = "low" });
        await Place(t, "hal", "ops");
        await Place(t, "lou", "labs");

        var low = new List<bool>();
        for (var i = 0; i < 9; i++) low.Add((await Consume(t, "lou")).Allowed);
        var lowStopped = await Consume(t, "lou");
        var high = new List<bool>();
        for (var i = 0; i < 3; i++) high.Add((await Consume(t, "hal")).Allowed);

        Assert.Equal([true, true, true, true, true, true, true, true, false], low);   // low stops at 80% of 10
        Assert.Equal(("tenant", "priority"), ((string)lowStopped.Json["limitingLevel"]!, (string?)lowStopped.Json["reason"]));
        Assert.Equal([true, true, false], high);                                    // high goes on to 10, then the limit itself
    }

    [Fact]
    public async Task A_dollar_budget_is_charged_what_the_model_price_says_the_tokens_cost()
    {
        var t = await TenantAsync();
        _host.Clock.Set("2026-12-10T12:00:00Z"); // gpt-large from 2026-12-01: $2 per 1M input, $8 per 1M output
        await Department(t, "marketing", new { name = "Marketing", budget = new { limit = 0.05, unit = "usd", period = "monthly", overQuota = "block" } });
        await Place(t, "ana", "marketing");
        object Call(string key) => new { subjectId = "ana", operationClass = "summaries", idempotencyKey = key, model = "gpt-large", tokens = new { input = 10_000, output = 1_000 } };

        var first = await t.Backend.ConsumeAsync(Call("a"));
        var second = await t.Backend.ConsumeAsync(Call("b"));
        var departments = await t.Admin.SendAsync(HttpMethod.Get, "/v1/tenant/departments");

        Assert.Equal((true, 0.028m, 0.028m, "usd"), (first.Allowed, (decimal)first.Json["costUsd"]!, (decimal)Level(first, "department")["used"]!,
            (string)Level(first, "department")["unit"]!));
        Assert.Equal((false, "department"), (second.Allowed, (string)second.Json["limitingLevel"]!)); // 0.056 would pass 0.05
        var marketing = departments.Json["departments"]![0]!["budget"]!;
        Assert.Equal((0.028m, 0.022m, "2027-01-01T00:00:00Z"), ((decimal)marketing["spent"]!, (decimal)marketing["remaining"]!, (string)marketing["resetsAt"]!));
    }

    [Fact]
    public async Task An_unknown_model_and_tokens_without_a_model_for_a_dollar_budget_are_400s()
    {
        var t = await TenantAsync();
        await t.Admin.SendAsync(HttpMethod.Put, "/v1/tenant/budget", new { limit = 100, unit = "usd", period = "monthly" });

        var unknown = await t.Backend.ConsumeAsync(new { subjectId = "ana", operationClass = "summaries", idempotencyKey = "u", model = "gpt-9" });
        var unpriced = await t.Backend.ConsumeAsync(new { subjectId = "ana", operationClass = "summaries", idempotencyKey = "v", tokens = new { input = 5, output = 5 } });

        Assert.Equal(400, unknown.Status);
        Assert.Contains("Unknown model 'gpt-9'", unknown.Json["errors"]!["model"]![0]!.ToString());
        Assert.Equal(400, unpriced.Status);
        Assert.Contains("dollars", unpriced.Json["errors"]!["model"]![0]!.ToString());
    }

    [Fact]
    public async Task A_person_moving_department_keeps_what_they_used_and_the_old_department_keeps_what_it_spent()
    {
        var t = await TenantAsync();
        await Department(t, "marketing", new { name = "Marketing", budget = Requests(100) });
        await Department(t, "sales", new { name = "Sales", budget = Requests(100) });
        await Place(t, "ana", "marketing");
        await Consume(t, "ana", 3);

        await Place(t, "ana", "sales");
        var after = await Consume(t, "ana", 1);
        var departments = (await t.Admin.SendAsync(HttpMethod.Get, "/v1/tenant/departments")).Json["departments"]!.AsArray();

        Assert.Equal(4L, after.Used);
        Assert.Equal([("marketing", 3m, 0L), ("sales", 1m, 1L)],
            departments.Select(d => ((string)d!["id"]!, (decimal)d["budget"]!["spent"]!, (long)d["members"]!)));
    }

    [Fact]
    public async Task A_subjects_own_override_applies_on_top_of_the_tenants_cell_and_is_checked_like_the_matrix()
    {
        var t = await TenantAsync();

        var invalid = await Place(t, "ana", null, new { summaries = new { hardLimit = 2 } });
        var placed = await Place(t, "ana", null, new { summaries = new { hardLimit = 2, softLimit = 1, overQuota = "block" } });
        var consumed = await Consume(t, "ana", 3);
        var other = await Consume(t, "bob", 3);
        var usage = await t.Backend.UsageAsync("ana");

        Assert.Equal(400, invalid.Status);
        Assert.Contains("tier 'enterprise', class 'summaries', field 'softLimit'", invalid.Json.ToJsonString().Replace("\\u0027", "'"));
        Assert.Equal(200, placed.Status);
        Assert.Equal((false, 2L), (consumed.Allowed, (long)consumed.Json["hardLimit"]!));
        Assert.True(other.Allowed);
        Assert.Equal(2L, (long)usage.Json["classes"]!.AsArray().Single(c => (string)c!["operationClass"]! == "summaries")!["hardLimit"]!);
    }

    [Fact]
    public async Task A_deal_that_would_break_a_persons_own_overrides_is_refused_naming_the_person()
    {
        var t = await TenantAsync();
        var platform = _host.Client(TestTokens.For(null, "platform.admin"));
        Assert.Equal(200, (await Place(t, "ana", null, new { summaries = new { hardLimit = 9_000 } })).Status);

        var deal = await platform.SendAsync(HttpMethod.Put, $"/v1/tenants/{t.Id}/overrides", new { summaries = new { softLimit = 9_500, hardLimit = 20_000 } });
        var kept = await platform.SendAsync(HttpMethod.Get, $"/v1/tenants/{t.Id}/overrides");

        Assert.Equal(400, deal.Status);
        Assert.Contains("subject 'ana'", deal.Json["errors"]!["subjects.ana"]![0]!.ToString().Replace("\u0027", "'"));
        Assert.Contains("'softLimit': 9500 is above hardLimit 9000", deal.Json["errors"]!["subjects.ana"]![0]!.ToString());
        Assert.Equal("{}", kept.Json.ToJsonString());
    }

    [Fact]
    public async Task The_usage_answer_shows_every_level_of_every_class()
    {
        var t = await TenantAsync();
        await t.Admin.SendAsync(HttpMethod.Put, "/v1/tenant/budget", Requests(1000));
        await Department(t, "marketing", new { name = "Marketing", budget = Requests(4) });
        await Place(t, "ana", "marketing");
        await Consume(t, "ana", 3);

        var summaries = (await t.Backend.UsageAsync("ana")).Json["classes"]!.AsArray().Single(c => (string)c!["operationClass"]! == "summaries")!;

        Assert.Equal("department", (string)summaries["limitingLevel"]!);
        Assert.Equal([("tenant", 3m), ("department", 3m), ("subject", 3m)],
            summaries["levels"]!.AsArray().Select(l => ((string)l!["level"]!, (decimal)l["used"]!)));
    }

    [Fact]
    public async Task Budgets_departments_and_placements_are_audited_with_before_and_after()
    {
        var t = await TenantAsync();
        await t.Admin.SendAsync(HttpMethod.Put, "/v1/tenant/budget", Requests(10));
        await t.Admin.SendAsync(HttpMethod.Put, "/v1/tenant/budget", Requests(20));
        await Department(t, "marketing", new { name = "Marketing" });
        await Place(t, "ana", "marketing");

        var items = (await t.Admin.SendAsync(HttpMethod.Get, "/v1/tenant/audit")).Json["items"]!.AsArray();

        Assert.Equal(["subject:created:ana", "department:created:marketing", "budget:changed:", "budget:changed:"],
            items.Select(i => $"{i!["kind"]}:{i["action"]}:{i["target"]}"));
        Assert.Equal((10L, 20L), ((long)items[2]!["before"]!["limit"]!, (long)items[2]!["after"]!["limit"]!));
        Assert.Equal("marketing", (string)items[0]!["after"]!["departmentId"]!);
    }

    [Theory]
    [InlineData("""{ "limit": 0, "unit": "request", "period": "monthly" }""", "budget.limit")]
    [InlineData("""{ "limit": 1.0000001, "unit": "usd", "period": "monthly" }""", "budget.limit")]
    [InlineData("""{ "limit": 10, "unit": "euros", "period": "monthly" }""", "budget.unit")]
    [InlineData("""{ "limit": 10, "unit": "usd", "period": "hourly" }""", "budget.period")]
    [InlineData("""{ "limit": 10, "unit": "usd", "period": "monthly", "overQuota": "overage" }""", "budget.overQuota")]
    [InlineData("""{ "limit": 10, "unit": "usd", "period": "monthly", "overQuota": "degrade" }""", "budget.fallbackClass")]
    [InlineData("""{ "limit": 10, "unit": "usd", "period": "monthly", "alertThresholds": [0.9, 0.7] }""", "budget.alertThresholds")]
    [InlineData("""{ "limit": 10, "unit": "usd", "period": "monthly", "cap": 3 }""", "budget.cap")]
    public async Task A_bad_budget_is_a_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        var t = await TenantAsync();
        await t.Admin.SendAsync(HttpMethod.Put, "/v1/tenant/budget", Requests(10));
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        var answer = await ApiCalls.ReadAsync(await t.Admin.PutAsync("/v1/tenant/budget", content));
        var kept = await t.Admin.SendAsync(HttpMethod.Get, "/v1/tenant/budget");

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]![field]);
        Assert.Equal(10m, (decimal)kept.Json["limit"]!);
    }

    [Fact]
    public async Task Departments_and_placements_refuse_bad_ids_and_unknown_departments()
    {
        var t = await TenantAsync();

        var badId = await Department(t, "no spaces", new { name = "X" });
        var noName = await Department(t, "x", new { name = " " });
        var badPriority = await Department(t, "x", new { name = "X", priority = "urgent" });
        var unknown = await Place(t, "ana", "ghosts");
        var created = await Department(t, "x", new { name = "X" });
        var replaced = await Department(t, "x", new { name = "X2", priority = "low" });

        Assert.Equal((400, 400, 400, 404), (badId.Status, noName.Status, badPriority.Status, unknown.Status));
        Assert.Equal((201, 200, "low", "X2"), (created.Status, replaced.Status, (string)replaced.Json["priority"]!, (string)replaced.Json["name"]!));
    }

    [Fact]
    public async Task Only_a_tenant_admin_manages_budgets()
    {
        var t = await TenantAsync();

        var backend = await t.Backend.SendAsync(HttpMethod.Put, "/v1/tenant/budget", Requests(10));

        Assert.Equal(403, backend.Status);
        Assert.Equal(404, (await t.Admin.SendAsync(HttpMethod.Get, "/v1/tenant/budget")).Status);
    }
}
