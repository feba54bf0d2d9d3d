using System.Globalization;
using Microsoft.Extensions.Configuration;
using Spectre.Console;
using Stripe;
using TenantQuota.Billing;
using TenantQuota.LocalStripe;
using TenantQuota.Testing;
using TenantQuota.Worker.Cli;

namespace TenantQuota.Worker.Tests;

/// <summary>
/// Billing of a test's own: a database, a LocalStripe, optionally an API host, no worker unless the test
/// starts one. For what looks at the whole database (the CLI verbs' exit codes, the catalogue sync, a
/// reconciliation schedule), where the shared <see cref="BillingPipeline"/>'s other tenants would count.
/// </summary>
public sealed class OwnBillingStack : IAsyncDisposable
{
    public const string SecretKey = "sk_test_worker_tests";

    private ApiHost? _api;

    private OwnBillingStack(OwnDatabase database, LocalStripeServer stripe)
    {
        Database = database;
        Stripe = stripe;
        StripeClient = StripeClients.Create(new StripeSettings { SecretKey = SecretKey, BaseUrl = stripe.ApiBase });
        StripeAdmin = new HttpClient { BaseAddress = stripe.BaseUrl };
    }

    public OwnDatabase Database { get; }
    public LocalStripeServer Stripe { get; }
    public IStripeClient StripeClient { get; }
    public HttpClient StripeAdmin { get; }
    public ApiHost Api => _api ?? throw new InvalidOperationException("This stack has no API host: create it with withApi: true.");

    /// <param name="withApi">
    /// An API host over the database, for consumes. Its clock stands two minutes back, so usage it records
    /// lies before the current whole minute, where a reconciliation with no settle time ends.
    /// </param>
    public static async Task<OwnBillingStack> CreateAsync(bool withApi = false)
    {
        var stack = new OwnBillingStack(await OwnDatabase.CreateAsync(), await LocalStripeHost.StartAsync(s => s.SecretKey = SecretKey));
        if (withApi)
        {
            stack._api = new ApiHost(new Dictionary<string, string?> { ["ConnectionStrings:TenantQuota"] = stack.Database.ConnectionString });
            stack._api.Clock.Set(DateTimeOffset.UtcNow.AddMinutes(-2));
            _ = stack._api.Address; // starts the API, which migrates the database
        }
        return stack;
    }

    /// <summary>The worker's configuration for this stack, as environment variables would give it; reconciliation does not wait to settle.</summary>
    public Dictionary<string, string?> Settings(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:TenantQuota"] = Database.ConnectionString,
            ["Stripe:SecretKey"] = SecretKey,
            ["Stripe:BaseUrl"] = Stripe.ApiBase,
            ["Worker:ReconcileSettleTime"] = "00:00:00",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;
        return settings;
    }

    /// <summary>Runs the worker binary's entry for a verb, in process, and returns its exit code and what it printed.</summary>
    public async Task<(int ExitCode, string Output)> RunCliAsync(string[] args, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 400;
        var exitCode = await WorkerCli.RunAsync(args, console, configuration => configuration.AddInMemoryCollection(Settings(overrides)));
        return (exitCode, output.ToString());
    }

    /// <summary>What checkout does for a tenant: a Stripe customer, recorded in billing_customers.</summary>
    public async Task<string> AddCustomerAsync(string tenant)
    {
        var customer = await new CustomerService(StripeClient).CreateAsync(new CustomerCreateOptions { Name = tenant, Metadata = new() { ["tenant_id"] = tenant } });
        await Database.ExecuteAsync("INSERT INTO billing_customers (tenant_id, stripe_customer_id, created_at) VALUES ($1, $2, now())", tenant, customer.Id);
        return customer.Id;
    }

    public HttpClient Backend(string tenant) => Api.Client(TestTokens.For(tenant, "quota.check", "quota.consume"));

    public async Task<long> UsageRecordIdAsync(string tenant, string idempotencyKey) =>
        await Database.ScalarAsync<long>("SELECT id FROM usage_records WHERE tenant_id = $1 AND idempotency_key = $2", tenant, idempotencyKey);

    public async ValueTask DisposeAsync()
    {
        if (_api is not null) await _api.DisposeAsync();
        StripeAdmin.Dispose();
        await Stripe.DisposeAsync();
        await Database.DisposeAsync();
    }
}
