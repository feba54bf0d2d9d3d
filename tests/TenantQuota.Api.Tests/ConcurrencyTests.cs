using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Api.Entitlements;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>
/// Many parallel consumes on one counter, spread over two API hosts sharing the database (two
/// processes' worth of pools and caches): a block/degrade cell never lets used pass hardLimit and
/// every allowed consume is counted exactly once.
/// </summary>
public sealed class ConcurrencyTests : IAsyncLifetime
{
    private readonly ApiHost _first = new();
    private readonly ApiHost _second = new();

    public Task InitializeAsync()
    {
        _ = _first.Address;
        _ = _second.Address;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    [Theory]
    [InlineData("free", "summaries", 10, 400)]   // block
    [InlineData("free", "drafts", 20, 400)]      // degrade
    public async Task Never_grants_past_the_hard_limit_across_two_hosts(string tier, string operationClass, long hardLimit, int requests)
    {
        var tenant = await _first.CreateTenantAsync(tier);
        var clients = Clients(tenant);
        var quantities = Enumerable.Range(0, requests).Select(i => 1L + i % 3).ToArray();

        var answers = await Task.WhenAll(quantities.Select((quantity, i) => clients[i % clients.Length].ConsumeAsync(
            new { subjectId = "hot-user", operationClass, quantity, idempotencyKey = $"c-{i}" })));

        Assert.All(answers, a => Assert.Equal(200, a.Status));
        var granted = answers.Zip(quantities).Where(p => p.First.Allowed).Sum(p => p.Second);
        var counter = await Counter(tenant, "hot-user", operationClass);
        var recorded = await RecordedQuantity(tenant);
        Assert.True(counter <= hardLimit, $"counter {counter} passed hard limit {hardLimit}");
        Assert.Equal(granted, counter);
        Assert.Equal(granted, recorded);
        Assert.True(counter >= hardLimit - 2, $"the cell should be (nearly) full, counter is {counter}");
        Assert.All(answers.Where(a => a.Allowed), a => Assert.True(a.Used <= hardLimit));
    }

    [Fact]
    public async Task Loses_no_consume_on_an_overage_cell_across_two_hosts()
    {
        var tenant = await _first.CreateTenantAsync("pro"); // pro/drafts: hard 400, overage
        var clients = Clients(tenant);

        var answers = await Task.WhenAll(Enumerable.Range(0, 600).Select(i => clients[i % clients.Length].ConsumeAsync(
            new { subjectId = "busy", operationClass = "drafts", quantity = 1, idempotencyKey = $"o-{i}" })));

        Assert.All(answers, a => Assert.True(a.Allowed));
        Assert.Equal(600, await Counter(tenant, "busy", "drafts"));
        Assert.Equal(600, await RecordedQuantity(tenant));
        Assert.Equal(Enumerable.Range(1, 600).Select(i => (long)i), answers.Select(a => a.Used).Order());
        Assert.Equal(200, answers.Sum(a => (long)a.Json["billableQuantity"]!));
        Assert.Equal(200L, await ApiHost.Database.Scalar<long>("SELECT COALESCE(sum(quantity), 0)::bigint FROM billing_outbox WHERE tenant_id = $1", tenant));
    }

    /// <summary>
    /// Consumes that arrive together are charged in one transaction (GroupedCharges); one that the database refuses
    /// (here a trigger refuses its record) must fail alone, and every other one be recorded and counted once.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task One_consume_the_database_refuses_fails_alone_and_the_others_are_recorded(bool atCommit)
    {
        var tenant = await _first.CreateTenantAsync("enterprise");
        var clients = Clients(tenant);
        // Refused when its record is written, or only when its transaction commits (a deferred constraint trigger):
        // then nobody may have been answered before the commit's own answer came back.
        var trigger = atCommit
            ? "CREATE CONSTRAINT TRIGGER test_refuse_poisoned_record AFTER INSERT ON usage_records DEFERRABLE INITIALLY DEFERRED"
            : "CREATE TRIGGER test_refuse_poisoned_record BEFORE INSERT ON usage_records";
        await ApiHost.Database.Scalar<object>($"""
            CREATE OR REPLACE FUNCTION test_refuse_poisoned_record() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.idempotency_key LIKE 'poisoned-%' THEN RAISE EXCEPTION 'refused %', NEW.idempotency_key USING ERRCODE = 'check_violation'; END IF;
                RETURN NEW;
            END $$;
            {trigger} FOR EACH ROW EXECUTE FUNCTION test_refuse_poisoned_record();
            """);
        try
        {
            var keys = Enumerable.Range(0, 120).Select(i => i == 60 ? $"poisoned-{tenant}" : $"k-{i}").ToList();
            var answers = await Task.WhenAll(keys.Select((key, i) => clients[i % clients.Length].ConsumeAsync(
                new { subjectId = $"p-{i % 7}", operationClass = "summaries", quantity = 1, idempotencyKey = key })));

            Assert.Equal(500, answers[60].Status);
            Assert.All(answers.Where((_, i) => i != 60), a => Assert.Equal((200, true), (a.Status, a.Allowed)));
            Assert.Equal(119L, await RecordedQuantity(tenant));
            Assert.Equal(119L, await ApiHost.Database.Scalar<long>("SELECT COALESCE(sum(used), 0)::bigint FROM quota_counters WHERE tenant_id = $1", tenant));
        }
        finally
        {
            await ApiHost.Database.Scalar<object>("DROP TRIGGER test_refuse_poisoned_record ON usage_records; DROP FUNCTION test_refuse_poisoned_record()");
        }
    }

    [Fact]
    public async Task Records_one_key_once_when_it_races_with_itself_across_two_hosts()
    {
        var tenant = await _first.CreateTenantAsync("free");
        var clients = Clients(tenant);

        var answers = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => clients[i % clients.Length].ConsumeAsync(
            new { subjectId = "u", operationClass = "summaries", quantity = 2, idempotencyKey = "the-one-key" })));

        Assert.All(answers, a => Assert.Equal((200, true, 2L), (a.Status, a.Allowed, a.Used)));
        Assert.Single(answers, a => !(bool)a.Json["duplicate"]!);
        Assert.Equal(2, await Counter(tenant, "u", "summaries"));
        Assert.Equal(2, await RecordedQuantity(tenant));
    }

    [Fact]
    public async Task Sees_a_tier_change_made_through_the_other_host_on_its_next_request()
    {
        var tenant = await _first.CreateTenantAsync("free");
        var backendOnSecond = _second.Client(TestTokens.For(tenant, "quota.check"));
        Assert.Equal(10, (long)(await backendOnSecond.CheckAsync(new { subjectId = "u", operationClass = "summaries" })).Json["hardLimit"]!);

        await _first.Client(TestTokens.For(null, "platform.admin")).SendAsync(HttpMethod.Put, $"/v1/tenants/{tenant}/tier", new { tier = "team" });
        var after = await backendOnSecond.CheckAsync(new { subjectId = "u", operationClass = "summaries" });

        Assert.Equal(("team", 1000L), ((string)after.Json["tier"]!, (long)after.Json["hardLimit"]!));
    }

    /// <summary>
    /// The bar: hundreds of parallel consumes and reserve → commit/release pairs by many people of one
    /// department, across two hosts: the department's block budget is never passed, and at rest every level and
    /// the usage records agree exactly, with nothing left held.
    /// </summary>
    [Fact]
    public async Task Never_passes_a_department_budget_and_every_level_agrees_at_rest_across_two_hosts()
    {
        const long departmentLimit = 150;
        var tenant = await _first.CreateTenantAsync("enterprise");
        var admin = _first.Client(TestTokens.For(tenant, "tenant.admin"));
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/budget", new { limit = 100_000, unit = "request", period = "monthly" });
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/eng", new
        {
            name = "Engineering", priority = "high", budget = new { limit = departmentLimit, unit = "request", period = "monthly", overQuota = "block" },
        });
        var people = Enumerable.Range(0, 20).Select(i => $"dev-{i}").ToArray();
        foreach (var person in people) await admin.SendAsync(HttpMethod.Put, $"/v1/tenant/subjects/{person}", new { departmentId = "eng" });
        var clients = Clients(tenant);

        async Task<long> Work(int i)
        {
            var client = clients[i % clients.Length];
            var body = new { subjectId = people[i % people.Length], operationClass = "summaries", quantity = 1L + i % 3, idempotencyKey = $"w-{i}" };
            if (i % 2 == 0) return (await client.ConsumeAsync(body)).Allowed ? body.quantity : 0;
            var held = await client.ReserveAsync(body);
            if (!held.Allowed) return 0;
            var id = (string)held.Json["reservationId"]!;
            if (i % 4 == 1) { Assert.Equal(200, (await client.ReleaseAsync(id)).Status); return 0; }
            var actual = Math.Max(1, body.quantity - i % 2); // commits never more than the estimate here
            Assert.True((await client.CommitAsync(id, new { quantity = actual })).Allowed);
            return actual;
        }
        var granted = (await Task.WhenAll(Enumerable.Range(0, 400).Select(Work))).Sum();
        // Holds released or committed for less free room after the last refusals: fill it one by one to the limit.
        for (var i = 0; ; i++)
        {
            if (!(await clients[0].ConsumeAsync(new { subjectId = people[0], operationClass = "summaries", quantity = 1, idempotencyKey = $"fill-{i}" })).Allowed) break;
            granted++;
        }

        var department = await ApiHost.Database.Scalar<long>(
            "SELECT used FROM quota_counters WHERE tenant_id = $1 AND level = 'department' AND owner_id = 'eng'", tenant);
        var tenantLevel = await ApiHost.Database.Scalar<long>("SELECT used FROM quota_counters WHERE tenant_id = $1 AND level = 'tenant'", tenant);
        var subjects = await ApiHost.Database.Scalar<long>("SELECT sum(used)::bigint FROM quota_counters WHERE tenant_id = $1 AND level = 'subject'", tenant);
        var held = await ApiHost.Database.Scalar<long>("SELECT sum(reserved)::bigint FROM quota_counters WHERE tenant_id = $1", tenant);
        var records = await ApiHost.Database.Scalar<long>(
            "SELECT sum(quantity)::bigint FROM usage_records WHERE tenant_id = $1 AND recorded AND department_id = 'eng'", tenant);
        Assert.Equal(departmentLimit, department); // never past it, and every unit of it could be used
        Assert.Equal((granted, granted, granted, granted, 0L), (department, tenantLevel, subjects, records, held));
    }

    /// <summary>
    /// An expired hold is returned exactly once, whatever races it: both hosts sweep while commits and releases of the
    /// same reservations arrive through both. A hold freed twice would take reserved below 0 (the table refuses it);
    /// one never freed would stay counted.
    /// </summary>
    [Fact]
    public async Task Returns_each_expired_hold_exactly_once_while_sweeps_commits_and_releases_race_across_two_hosts()
    {
        var tenant = await _first.CreateTenantAsync("enterprise");
        var clients = Clients(tenant);
        var held = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => clients[i % clients.Length].ReserveAsync(
            new { subjectId = $"p-{i % 6}", operationClass = "summaries", quantity = 3, idempotencyKey = $"h-{i}", ttlSeconds = 1 })));
        var ids = held.Select(h => (string)h.Json["reservationId"]!).ToList();
        _first.Clock.Advance(TimeSpan.FromSeconds(2));
        _second.Clock.Advance(TimeSpan.FromSeconds(2));

        var sweeps = new[] { _first, _second }.Select(host => host.Services.GetRequiredService<ReservationSweeper>().SweepAsync(CancellationToken.None)).ToList();
        var settles = ids.Select((id, i) => i % 2 == 0 ? clients[i % clients.Length].CommitAsync(id, new { quantity = 3 }) : clients[i % clients.Length].ReleaseAsync(id)).ToList();
        var answers = await Task.WhenAll(settles);
        await Task.WhenAll(sweeps);

        Assert.All(answers.Where((_, i) => i % 2 == 0), a => Assert.Equal((409, "https://docs.tenantquota.dev/problems/reservation-expired"), (a.Status, (string?)a.Json["type"])));
        Assert.All(answers.Where((_, i) => i % 2 == 1), a => Assert.Equal((200, "expired"), (a.Status, (string?)a.Json["status"])));
        Assert.Equal((0L, 0L), (await ApiHost.Database.Scalar<long>("SELECT COALESCE(sum(reserved), 0)::bigint FROM quota_counters WHERE tenant_id = $1", tenant),
            await ApiHost.Database.Scalar<long>("SELECT COALESCE(sum(used), 0)::bigint FROM quota_counters WHERE tenant_id = $1", tenant)));
        Assert.Equal(60L, await ApiHost.Database.Scalar<long>("SELECT count(*) FROM reservations WHERE tenant_id = $1 AND status = 'expired'", tenant));
    }

    private HttpClient[] Clients(string tenant)
    {
        var token = TestTokens.For(tenant, "quota.check", "quota.consume");
        return [_first.Client(token), _second.Client(token), _first.Client(token), _second.Client(token)];
    }

    private static async Task<long> Counter(string tenant, string subject, string operationClass)
    {
        await using var command = ApiHost.Database.CreateCommand(
            "SELECT COALESCE(sum(used), 0)::bigint FROM quota_counters WHERE tenant_id = $1 AND owner_id = $2 AND metric = $3");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = subject });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = operationClass });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> RecordedQuantity(string tenant)
    {
        await using var command = ApiHost.Database.CreateCommand(
            "SELECT COALESCE(sum(quantity), 0)::bigint FROM usage_records WHERE tenant_id = $1 AND recorded");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = tenant });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
