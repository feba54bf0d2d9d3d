using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Reqnroll;
using Stripe;
using TenantQuota.Billing.Reconciliation;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>
/// Overage on its way to Stripe: the billing stack's worker takes it from the outbox through RabbitMQ to
/// LocalStripe's meter events; the steps look at what LocalStripe accepted and what the worker recorded.
/// </summary>
[Binding]
public sealed class OverageBillingSteps(ScenarioApi api)
{
    private long? _poisonedBefore;

    private static Task<BillingStack> Stack => BillingStack.GetAsync();

    [Given("a tenant on the {word} tier with a Stripe customer")]
    public async Task ATenantWithAStripeCustomer(string tier)
    {
        var stack = await Stack;
        api.Tenant = await api.Host.CreateTenantAsync(tier);
        var customer = await new CustomerService(stack.StripeClient).CreateAsync(
            new CustomerCreateOptions { Name = api.Tenant, Metadata = new() { ["tenant_id"] = api.Tenant } });
        await ExecuteAsync("INSERT INTO billing_customers (tenant_id, stripe_customer_id, created_at) VALUES ($1, $2, now())", api.Tenant, customer.Id);
    }

    [Given("Stripe answers the next {int} reports of metered usage with server errors and {int} with rate limits")]
    public async Task StripeFails(int serverErrors, int rateLimits)
    {
        var admin = (await Stack).StripeAdmin;
        await admin.InjectMeterEventFaultAsync(500, serverErrors);
        await admin.InjectMeterEventFaultAsync(429, rateLimits);
    }

    [Given("Stripe refuses the next report of metered usage")]
    public async Task StripeRefuses()
    {
        _poisonedBefore = (await BillingHealthAsync())["poisonedSinceStart"]!.GetValue<long>();
        await (await Stack).StripeAdmin.InjectMeterEventFaultAsync(400, 1);
    }

    /// <summary>
    /// Waits until the worker recorded the tenant's overage as sent (from then on nothing sends it again),
    /// then asks LocalStripe what it accepted: one meter event, on the class's meter, for the customer.
    /// </summary>
    [Then("Stripe has metered usage of {long} {string} for the tenant, reported once")]
    public async Task StripeHasMeteredUsage(long quantity, string operationClass)
    {
        var usageRecord = await OverageRecordAsync();
        await Eventually.Until(() => ScalarAsync<long>("SELECT count(*) FROM billing_meter_events WHERE usage_record_id = $1", usageRecord),
            count => count == 1, $"the worker to record usage record {usageRecord} as sent to Stripe");

        var sent = Assert.Single(await (await Stack).StripeAdmin.AcceptedMeterEventsAsync(usageRecord));
        Assert.Equal(await ScalarAsync<string>("SELECT event_name FROM stripe_catalog WHERE kind = 'meter' AND key = $1", operationClass), (string?)sent["eventName"]);
        Assert.Equal(await ScalarAsync<string>("SELECT stripe_customer_id FROM billing_customers WHERE tenant_id = $1", api.RequireTenant),
            (string?)sent["payload"]!["stripe_customer_id"]);
        Assert.Equal(quantity.ToString(CultureInfo.InvariantCulture), (string?)sent["payload"]!["value"]);
    }

    [Then("Stripe has no metered usage for the tenant")]
    public async Task StripeHasNoMeteredUsage() => Assert.Empty(await (await Stack).StripeAdmin.AcceptedMeterEventsAsync(await OverageRecordAsync()));

    [Then("nothing is waiting to be billed for the tenant")]
    public async Task NothingWaitsToBeBilled() =>
        Assert.Equal(0, await ScalarAsync<long>("SELECT count(*) FROM billing_outbox WHERE tenant_id = $1", api.RequireTenant));

    [Then("the overage waits for the tenant to have a Stripe customer")]
    public async Task TheOverageWaitsForACustomer()
    {
        var usageRecord = await OverageRecordAsync();
        await Eventually.Until(() => ScalarAsync<string>("SELECT reason FROM billing_overage_holds WHERE usage_record_id = $1", usageRecord),
            reason => reason == "no_customer", $"the worker to hold usage record {usageRecord} until the tenant has a Stripe customer");
        Assert.Empty(await (await Stack).StripeAdmin.MeterEventRequestsAsync(usageRecord));
    }

    [Then("billing health raises an alert for the refused report")]
    public async Task BillingHealthRaisesAnAlert()
    {
        var before = _poisonedBefore ?? throw new InvalidOperationException("Stripe was not told to refuse a report.");
        var health = await Eventually.Until(BillingHealthAsync, h => h["poisonedSinceStart"]!.GetValue<long>() == before + 1,
            "the worker to count the refused report");
        Assert.Equal("degraded", (string?)health["status"]);
        Assert.Contains(health["alerts"]!.AsArray(), alert => ((string?)alert)!.Contains("went to", StringComparison.Ordinal));
    }

    /// <summary>What the worker's schedule and its <c>reconcile</c> verb run, over the last two days, with nothing left to settle.</summary>
    [When("reconciliation runs")]
    public async Task ReconciliationRuns()
    {
        var worker = (await Stack).Worker;
        // Two minutes ahead, as a scheduled run would be: Stripe's summaries end on a whole minute.
        var reconciliation = ActivatorUtilities.CreateInstance<OverageReconciliation>(worker.Services,
            (TimeProvider)new SettableClock(DateTimeOffset.UtcNow.AddMinutes(2)));
        await reconciliation.RunAsync(new ReconciliationWindow(2, TimeSpan.Zero), CancellationToken.None);
    }

    /// <summary>The tenant's one billable usage record: each overage scenario makes exactly one.</summary>
    private async Task<long> OverageRecordAsync() =>
        await ScalarAsync<long>("SELECT usage_record_id FROM billing_outbox WHERE tenant_id = $1", api.RequireTenant);

    private async Task<JsonObject> BillingHealthAsync()
    {
        using var http = (await Stack).Worker.Client();
        return (await http.GetFromJsonAsync<JsonObject>("/billing/health"))!;
    }

    private async Task<T> ScalarAsync<T>(string sql, params object[] values)
    {
        await using var command = (await Stack).Database.CreateCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private async Task ExecuteAsync(string sql, params object[] values)
    {
        await using var command = (await Stack).Database.CreateCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync();
    }
}
