using System.Text.Json;

namespace TenantQuota.Worker.Tests.Schedules;

/// <summary>
/// Worker:BillingHousekeepingInterval: the worker ends grace periods and acts on stored Stripe events no
/// webhook delivery will bring back. The shared worker has it off; each test starts one with it on.
/// </summary>
[Collection(BillingPipelineCollection.Name)]
public sealed class BillingHousekeepingTests(BillingPipeline pipeline)
{
    private static readonly Dictionary<string, string?> HousekeepingOn = new() { ["Worker:BillingHousekeepingInterval"] = "00:00:00.100" };

    [Fact]
    public async Task Moves_a_tenant_whose_grace_period_has_ended_to_the_free_tier()
    {
        var tenant = await pipeline.Api.CreateTenantAsync("pro");
        var stillInGrace = await pipeline.Api.CreateTenantAsync("pro");
        await PastDueAsync(tenant, since: TimeSpan.FromDays(8));
        await PastDueAsync(stillInGrace, since: TimeSpan.FromDays(6)); // Billing__GracePeriod: 7 days
        var before = await TierAsync(tenant);

        await using var worker = await pipeline.StartWorkerAsync(HousekeepingOn);
        var after = await Eventually.Until(() => TierAsync(tenant), tier => tier == "free", "the grace period to end");

        Assert.Equal(("pro", "free"), (before, after));
        Assert.Equal("pro", await TierAsync(stillInGrace));
    }

    [Fact]
    public async Task Acts_on_a_Stripe_event_that_was_stored_but_never_acted_on()
    {
        var tenant = await pipeline.Api.CreateTenantAsync("free");
        var eventId = $"evt_{Guid.NewGuid():N}";
        var created = DateTimeOffset.UtcNow.AddMinutes(-3);
        await pipeline.Database.ExecuteAsync("""
            INSERT INTO stripe_events (id, type, api_version, created, payload, received_at)
            VALUES ($1, 'checkout.session.completed', '2026-10-28.endive', $2, $3::jsonb, now() - interval '3 minutes')
            """, eventId, created, CheckoutCompleted(eventId, created, tenant, "team"));

        await using var worker = await pipeline.StartWorkerAsync(HousekeepingOn);
        var outcome = await Eventually.Until(() => pipeline.Database.ScalarAsync<string>("SELECT outcome FROM stripe_events WHERE id = $1", eventId),
            o => o is not null, "the stored event to be acted on");

        Assert.StartsWith("applied", outcome);
        Assert.Equal("team", await TierAsync(tenant));
    }

    private Task<string?> TierAsync(string tenant) => pipeline.Database.ScalarAsync<string>("SELECT tier FROM tenants WHERE id = $1", tenant);

    /// <summary>What invoice.payment_failed leaves behind: the subscription past due since then.</summary>
    private Task PastDueAsync(string tenant, TimeSpan since) => pipeline.Database.ExecuteAsync("""
        INSERT INTO billing_subscriptions (tenant_id, stripe_subscription_id, status, tier, as_of, past_due_since, last_event_id, updated_at)
        VALUES ($1, $2, 'past_due', 'pro', now() - $3::interval, now() - $3::interval, $4, now())
        """, tenant, $"sub_{Guid.NewGuid():N}", since, $"evt_{Guid.NewGuid():N}");

    private static string CheckoutCompleted(string eventId, DateTimeOffset created, string tenant, string tier) => JsonSerializer.Serialize(new
    {
        id = eventId,
        @object = "event",
        api_version = "2026-10-28.endive",
        created = created.ToUnixTimeSeconds(),
        type = "checkout.session.completed",
        livemode = false,
        pending_webhooks = 1,
        data = new
        {
            @object = new
            {
                id = $"cs_test_{Guid.NewGuid():N}",
                @object = "checkout.session",
                mode = "subscription",
                payment_status = "paid",
                status = "complete",
                subscription = $"sub_{Guid.NewGuid():N}",
                client_reference_id = tenant,
                metadata = new { tenant_id = tenant, tier },
            },
        },
    });
}
