using Stripe.Billing;
using TenantQuota.Testing;
using TenantQuota.Worker.Cli;

namespace TenantQuota.Worker.Tests.Cli;

/// <summary>
/// The worker binary's verbs, called through the entry the binary uses, against a database and a LocalStripe
/// of each test's own (their exit codes speak for the whole database).
/// </summary>
public sealed class WorkerCliTests
{
    [Fact]
    public async Task Catalog_sync_prints_the_Stripe_ids_it_made_and_changes_nothing_the_second_time()
    {
        await using var stack = await OwnBillingStack.CreateAsync();

        var (firstCode, first) = await stack.RunCliAsync(["catalog", "sync"]);
        var (secondCode, second) = await stack.RunCliAsync(["catalog", "sync"]);

        var stored = await StoredCatalogAsync(stack);
        Assert.Equal((0, 0), (firstCode, secondCode));
        Assert.Equal(15, stored.Count); // pro, team, enterprise: product and price; drafts, deep_research, background_indexing: meter, product and metered price
        Assert.All(stored, id => Assert.Contains(id, first));
        Assert.All(stored, id => Assert.Contains(id, second));
        Assert.Contains("15 changes:", first);
        Assert.Contains("created meter", first);
        Assert.Contains("No changes: Stripe already matched.", second);
        Assert.DoesNotContain("created", second);
    }

    [Fact]
    public async Task Catalog_sync_replaces_a_price_whose_amount_changed_and_archives_the_old_one()
    {
        await using var stack = await OwnBillingStack.CreateAsync();
        await stack.RunCliAsync(["catalog", "sync"]);
        var oldPrice = await stack.Database.ScalarAsync<string>("SELECT stripe_id FROM stripe_catalog WHERE kind = 'price' AND key = 'pro'");

        var (code, output) = await stack.RunCliAsync(["catalog", "sync"], new Dictionary<string, string?> { ["Billing:Prices:pro"] = "2500" });

        var newPrice = await stack.Database.ScalarAsync<string>("SELECT stripe_id FROM stripe_catalog WHERE kind = 'price' AND key = 'pro'");
        var prices = new Stripe.PriceService(stack.StripeClient);
        var (old, replacement) = (await prices.GetAsync(oldPrice), await prices.GetAsync(newPrice));
        Assert.Equal(0, code);
        Assert.NotEqual(oldPrice, newPrice);
        Assert.Contains($"archived price {oldPrice} (tq_tier_pro), replaced by {newPrice}", output);
        Assert.Contains("25.00 usd", output);
        Assert.Equal((false, (string?)null), (old.Active, old.LookupKey));
        Assert.Equal((true, "tq_tier_pro", 2500L), (replacement.Active, replacement.LookupKey, replacement.UnitAmount!.Value));
    }

    [Fact]
    public async Task Reconcile_sends_what_Stripe_lacks_prints_it_and_exits_0_once_no_drift_remains()
    {
        await using var stack = await OwnBillingStack.CreateAsync(withApi: true);
        await stack.RunCliAsync(["catalog", "sync"]);
        var (tenant, customer) = await BilledTenantAsync(stack);
        var client = stack.Backend(tenant);
        await client.ConsumeAsync(Consume("fill", 400));
        await client.ConsumeAsync(Consume("over-1", 2));
        await client.ConsumeAsync(Consume("over-2", 3));
        var (first, second) = (await stack.UsageRecordIdAsync(tenant, "over-1"), await stack.UsageRecordIdAsync(tenant, "over-2"));

        var (healCode, healing) = await stack.RunCliAsync(["reconcile", "--days", "2"]);
        var (againCode, again) = await stack.RunCliAsync(["reconcile", "--days=2"]);

        Assert.Equal(0, healCode);
        Assert.Matches(Row(tenant, "drafts", customer, @"\d{4}-\d\d-\d\d", "5", "0", "5", $"{first}, {second}", "-", "healed"), healing);
        Assert.Contains("No drift remains.", healing);
        Assert.Equal(0, againCode);
        Assert.Contains("1 customer-days compared with Stripe, 1 matched.", again);
        Assert.DoesNotContain("healed", again);
        Assert.Single(await stack.StripeAdmin.AcceptedMeterEventsAsync(first));
        Assert.Single(await stack.StripeAdmin.AcceptedMeterEventsAsync(second));
    }

    [Fact]
    public async Task Reconcile_exits_1_and_reports_over_billing_which_it_leaves_alone()
    {
        await using var stack = await OwnBillingStack.CreateAsync(withApi: true);
        await stack.RunCliAsync(["catalog", "sync"]);
        var (tenant, customer) = await BilledTenantAsync(stack);
        var client = stack.Backend(tenant);
        await client.ConsumeAsync(Consume("fill", 400));
        await client.ConsumeAsync(Consume("over", 2));
        await stack.RunCliAsync(["reconcile"]); // sends it: there is no worker here
        var occurredAt = await stack.Database.ScalarAsync<DateTime>("SELECT occurred_at FROM billing_outbox WHERE tenant_id = $1", tenant);
        await new MeterEventService(stack.StripeClient).CreateAsync(new MeterEventCreateOptions
        {
            EventName = "tq_overage_drafts", Identifier = "sent-by-someone-else", Timestamp = occurredAt,
            Payload = new() { ["stripe_customer_id"] = customer, ["value"] = "5" },
        });

        var (code, output) = await stack.RunCliAsync(["reconcile"]);

        Assert.Equal(1, code);
        Assert.Matches(Row(tenant, "drafts", customer, @"\d{4}-\d\d-\d\d", "2", "7", "7", "-", "-", "over-billed"), output);
        Assert.Contains("Drift remains.", output);
        Assert.Single(await stack.StripeAdmin.AcceptedMeterEventsAsync(await stack.UsageRecordIdAsync(tenant, "over")));
    }

    [Theory]
    [InlineData("reconcile --days 0", "--days must be a whole number from 1 to 35")]
    [InlineData("reconcile --days 36", "--days must be a whole number from 1 to 35")]
    [InlineData("reconcile --weeks 2", "reconcile does not know '--weeks'")]
    [InlineData("catalog push", "catalog takes one subcommand: sync")]
    [InlineData("reconcil", "Unknown command 'reconcil'")]
    public async Task Refuses_what_it_does_not_understand_with_exit_code_2_and_the_usage(string args, string message)
    {
        await using var stack = await OwnBillingStack.CreateAsync();

        var (code, output) = await stack.RunCliAsync(args.Split(' '));

        Assert.Equal(WorkerCli.Usage, code);
        Assert.Contains(message, output);
        Assert.Contains("Usage: TenantQuota.Worker [command]", output);
    }

    [Fact]
    public async Task Says_which_setting_is_missing_when_billing_is_off()
    {
        await using var stack = await OwnBillingStack.CreateAsync();

        var (code, output) = await stack.RunCliAsync(["reconcile"], new Dictionary<string, string?> { ["Stripe:SecretKey"] = null });

        Assert.Equal(1, code);
        Assert.Contains("Stripe__SecretKey", output);
    }

    [Fact]
    public void Leaves_the_worker_host_its_own_options()
    {
        Assert.False(WorkerCli.IsCommand([]));
        Assert.False(WorkerCli.IsCommand(["--urls", "http://127.0.0.1:5090"]));
        Assert.True(WorkerCli.IsCommand(["reconcile"]));
        Assert.True(WorkerCli.IsCommand(["--help"]));
    }

    private static async Task<(string Tenant, string Customer)> BilledTenantAsync(OwnBillingStack stack)
    {
        var tenant = await stack.Api.CreateTenantAsync("pro");
        return (tenant, await stack.AddCustomerAsync(tenant));
    }

    private static async Task<List<string>> StoredCatalogAsync(OwnBillingStack stack)
    {
        await using var command = stack.Database.DataSource.CreateCommand("SELECT stripe_id FROM stripe_catalog ORDER BY stripe_id");
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<string>();
        while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>A table row: the cells in order, between Spectre's column borders.</summary>
    private static string Row(params string[] cells) => string.Join(@"[\s│|]+", cells);

    private static object Consume(string key, long quantity) => new { subjectId = "user-1", operationClass = "drafts", quantity, idempotencyKey = key };
}
