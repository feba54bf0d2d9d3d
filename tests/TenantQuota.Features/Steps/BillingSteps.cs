using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Reqnroll;
using Reqnroll.BoDi;
using Stripe;
using TenantQuota.Billing;
using TenantQuota.Billing.Subscriptions;
using TenantQuota.LocalStripe;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>
/// The billing stack of the @billing scenarios, one per test run: LocalStripe in-process, an API host
/// with billing on whose webhooks LocalStripe sends back to it, and a worker host on the scenarios' own
/// RabbitMQ virtual host, over a database of its own (the Stripe catalogue is global; other test
/// projects sync against other LocalStripes).
/// </summary>
public sealed class BillingStack : IAsyncDisposable
{
    private const string SecretKey = "sk_test_tenantquota_features";
    private const string OverageQueue = "billing-overage-recorded";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static BillingStack? _current;
    private readonly OwnDatabase _database;

    private BillingStack(OwnDatabase database, LocalStripeServer stripe, ApiHost api, WorkerProcess worker) =>
        (_database, Stripe, Api, Worker) = (database, stripe, api, worker);

    public NpgsqlDataSource Database => _database.DataSource;
    public LocalStripeServer Stripe { get; }
    public ApiHost Api { get; }
    public WorkerProcess Worker { get; }

    /// <summary>Stripe.net against LocalStripe, as the API and the worker use it.</summary>
    public required IStripeClient StripeClient { get; init; }

    /// <summary>LocalStripe's admin endpoints (/_meter_events, /_requests, /_faults).</summary>
    public HttpClient StripeAdmin => _stripeAdmin ??= new HttpClient { BaseAddress = Stripe.BaseUrl };
    private HttpClient? _stripeAdmin;

    public static async Task<BillingStack> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _current ??= await StartAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task StopAsync()
    {
        if (_current is { } stack) await stack.DisposeAsync();
        _current = null;
    }

    private static async Task<BillingStack> StartAsync()
    {
        var database = await OwnDatabase.CreateAsync("features_billing");
        var connectionString = database.ConnectionString;
        var stripe = await LocalStripeHost.StartAsync();
        var api = new ApiHost(new Dictionary<string, string?>
        {
            ["ConnectionStrings:TenantQuota"] = connectionString,
            ["Stripe:SecretKey"] = SecretKey,
            ["Stripe:BaseUrl"] = stripe.ApiBase,
            ["Stripe:WebhookSecret"] = stripe.WebhookSecret,
            ["Governance:AllowLoopbackHttpWebhooks"] = "true", // the @worker scenarios' webhook receivers listen on loopback
        });
        stripe.SetWebhookEndpoints(new Uri(api.Address, "/v1/billing/stripe/webhook").ToString()); // starts the API, which migrates
        await TestRabbitMq.Features.PurgeAsync(OverageQueue); // what an earlier run without scripts/test.sh left
        // Scenarios run reconciliation when they say so, and the grace check when days pass.
        var worker = await WorkerProcess.StartAsync(WorkerProcess.QuickSettings(TestRabbitMq.Features, connectionString, SecretKey, stripe.ApiBase, OverageQueue));
        return new BillingStack(database, stripe, api, worker)
        {
            StripeClient = StripeClients.Create(new StripeSettings { SecretKey = SecretKey, BaseUrl = stripe.ApiBase }),
        };
    }

    public async ValueTask DisposeAsync()
    {
        await Worker.DisposeAsync();
        await Api.DisposeAsync();
        _stripeAdmin?.Dispose();
        await Stripe.DisposeAsync();
        await _database.DisposeAsync();
    }
}

/// <summary>What a billing scenario bought and what Stripe told us about it.</summary>
public sealed class BillingWorld
{
    public string? CheckoutSessionId { get; set; }
    public string? Customer { get; set; }
    public string? Subscription { get; set; }
    public DateTimeOffset PaidAt { get; set; }
    public string? LastEvent { get; set; }
    public long? VersionBeforeReports { get; set; }
}

/// <summary>
/// Buying tiers: checkout on LocalStripe's hosted page, and Stripe's reports (webhook events) delivered
/// as Stripe would, signed, including twice and late. The @billing scenarios run on the billing stack's
/// API host: the hook below gives it to <see cref="ScenarioApi"/> before anything else asks for one.
/// </summary>
[Binding]
public sealed class BillingSteps(ScenarioApi api, BillingWorld world)
{
    [BeforeScenario("billing", Order = 0)]
    public static async Task UseTheBillingStack(IObjectContainer scenarioContainer) =>
        scenarioContainer.RegisterInstanceAs((await BillingStack.GetAsync()).Api);

    [AfterTestRun]
    public static Task StopTheBillingStack() => BillingStack.StopAsync();

    private static Task<BillingStack> Stack => BillingStack.GetAsync();

    [Given("billing runs against the local Stripe with the catalogue synced")]
    public async Task TheCatalogueIsSynced()
    {
        var answer = await api.PlatformAdmin().SendAsync(HttpMethod.Post, "/v1/billing/catalog/sync");
        Assert.True(answer.Status == 200, $"catalogue sync answered {answer.Status}: {answer.Body}");
    }

    [When("the tenant admin starts a checkout for the {word} tier")]
    public async Task StartsACheckout(string tier)
    {
        var admin = api.Host.Client(TestTokens.For(api.RequireTenant, "tenant.admin"));
        var answer = api.Record(await admin.SendAsync(HttpMethod.Post, "/v1/billing/checkout-sessions",
            new { tier, successUrl = "https://app.example/billing/ok", cancelUrl = "https://app.example/billing" }));
        if (answer.Status == 201) world.CheckoutSessionId = (string)answer.Json["id"]!;
    }

    [When("pays on the Stripe checkout page")]
    public async Task PaysOnTheCheckoutPage()
    {
        var session = world.CheckoutSessionId ?? throw new InvalidOperationException("No checkout was started.");
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = (await Stack).Stripe.BaseUrl };
        var paid = await browser.PostAsync($"/checkout/{session}/pay", null);
        Assert.Equal(System.Net.HttpStatusCode.SeeOther, paid.StatusCode);
    }

    [Given("a tenant who pays for the {word} tier")]
    public async Task ATenantWhoPays(string tier)
    {
        api.Tenant = await api.Host.CreateTenantAsync("free");
        world.Customer = await GiveCustomerAsync(api.RequireTenant);
        world.Subscription = NewId("sub");
        world.PaidAt = api.Host.Clock.GetUtcNow();
        await DeliverAsync(Event("checkout.session.completed", world.PaidAt, CheckoutSession(tier)));
        await TheTenantIsOnTier(tier);
    }

    [When("Stripe reports that the tenant paid for the {word} tier")]
    public async Task StripeReportsPayment(string tier)
    {
        world.Customer ??= await GiveCustomerAsync(api.RequireTenant);
        world.Subscription ??= NewId("sub");
        world.VersionBeforeReports ??= await VersionAsync();
        world.PaidAt = api.Host.Clock.GetUtcNow();
        await DeliverAsync(Event("checkout.session.completed", world.PaidAt, CheckoutSession(tier)));
    }

    [When("Stripe delivers that report again")]
    public async Task StripeDeliversAgain()
    {
        api.Host.Clock.Advance(TimeSpan.FromSeconds(30)); // a redelivery comes later, signed anew
        await DeliverAsync(world.LastEvent ?? throw new InvalidOperationException("Stripe reported nothing yet."));
    }

    [When("Stripe reports, {int} minute(s) after the payment, that the subscription moved to the {word} tier")]
    [When("Stripe reports, {int} minute(s) after the payment but arriving last, that the subscription is on the {word} tier")]
    public Task StripeReportsSubscription(int minutes, string tier) =>
        DeliverAsync(Event("customer.subscription.updated", world.PaidAt.AddMinutes(minutes), Subscription(tier, "active")));

    [When("Stripe reports that the subscription was cancelled")]
    public Task StripeReportsCancellation() =>
        DeliverAsync(Event("customer.subscription.deleted", world.PaidAt.AddSeconds(1), Subscription("free", "canceled")));

    [When("Stripe reports that a payment failed")]
    public Task StripeReportsFailedPayment() =>
        DeliverAsync(Event("invoice.payment_failed", api.Host.Clock.GetUtcNow(), new Dictionary<string, object?>
        {
            ["id"] = NewId("in"),
            ["object"] = "invoice",
            ["status"] = "open",
            ["customer"] = world.Customer,
            ["parent"] = new { type = "subscription_details", subscription_details = new { subscription = world.Subscription, metadata = Metadata("pro") } },
        }));

    /// <summary>What the worker's scheduled grace check does, at the moment the days have passed.</summary>
    [When("{int} days pass without payment")]
    public async Task DaysPass(int days)
    {
        api.Host.Clock.Advance(TimeSpan.FromDays(days));
        await using var scope = api.Host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<BillingSubscriptions>().EnforceGraceAsync(CancellationToken.None);
    }

    /// <summary>Stripe's reports arrive asynchronously after a payment on the checkout page, so this waits for the tier (polling, never a fixed sleep).</summary>
    [Then("the tenant is on the {word} tier")]
    public Task TheTenantIsOnTier(string tier) => Eventually.Until(TierAsync, current => current == tier, $"the tenant to be on the {tier} tier");

    [Then("the tier changed once")]
    public async Task TheTierChangedOnce() => Assert.Equal(world.VersionBeforeReports + 1, await VersionAsync());

    private async Task DeliverAsync(string json)
    {
        world.LastEvent = json;
        var signature = EventUtility.GenerateSignatureHeader(json, (await Stack).Stripe.WebhookSecret, api.Host.Clock.GetUtcNow().ToUnixTimeSeconds());
        using var content = new StringContent(json, new UTF8Encoding(false), new MediaTypeHeaderValue("application/json"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/billing/stripe/webhook") { Content = content };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        var answer = await ApiCalls.ReadAsync(await api.Host.Client().SendAsync(request));
        Assert.True(answer.Status == 200, $"the webhook answered {answer.Status}: {answer.Body}");
    }

    private Dictionary<string, string> Metadata(string tier) => new() { ["tenant_id"] = api.RequireTenant, ["tier"] = tier };

    private object CheckoutSession(string tier) => new Dictionary<string, object?>
    {
        ["id"] = NewId("cs_test"),
        ["object"] = "checkout.session",
        ["mode"] = "subscription",
        ["status"] = "complete",
        ["payment_status"] = "paid",
        ["customer"] = world.Customer,
        ["subscription"] = world.Subscription,
        ["metadata"] = Metadata(tier),
    };

    private object Subscription(string tier, string status) => new Dictionary<string, object?>
    {
        ["id"] = world.Subscription,
        ["object"] = "subscription",
        ["status"] = status,
        ["customer"] = world.Customer,
        ["metadata"] = Metadata(tier),
    };

    private static string Event(string type, DateTimeOffset created, object dataObject) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["id"] = NewId("evt"),
        ["object"] = "event",
        ["api_version"] = StripeConfiguration.ApiVersion,
        ["created"] = created.ToUnixTimeSeconds(),
        ["livemode"] = false,
        ["type"] = type,
        ["data"] = new { @object = dataObject },
    });

    private static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 21)];

    private async Task<string> GiveCustomerAsync(string tenant)
    {
        var customer = NewId("cus");
        await using var command = (await Stack).Database.CreateCommand("INSERT INTO billing_customers (tenant_id, stripe_customer_id, created_at) VALUES ($1, $2, now())");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = customer });
        await command.ExecuteNonQueryAsync();
        return customer;
    }

    private async Task<string?> TierAsync()
    {
        await using var command = (await Stack).Database.CreateCommand("SELECT tier FROM tenants WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = api.RequireTenant });
        return (string?)await command.ExecuteScalarAsync();
    }

    private async Task<long> VersionAsync()
    {
        await using var command = (await Stack).Database.CreateCommand("SELECT version FROM tenants WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = api.RequireTenant });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
