using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Stripe;
using TenantQuota.Billing;
using TenantQuota.LocalStripe;
using TenantQuota.Testing;

namespace TenantQuota.Worker.Tests;

[CollectionDefinition(Name)]
public sealed class BillingPipelineCollection : ICollectionFixture<BillingPipeline>
{
    public const string Name = "billing pipeline";
}

/// <summary>
/// The whole overage pipeline, real everywhere: the API host (consume → usage record + outbox row)
/// over a database of this run's own, RabbitMQ, a worker host (dispatcher, consumer, release), and
/// LocalStripe in-process with a meter per overage class. One per test run; the tests share it and
/// isolate themselves by tenant and usage record, so they run one after another (one collection).
/// </summary>
public sealed class BillingPipeline : IAsyncLifetime
{
    public const string Queue = "billing-overage-recorded";
    public const string SecretKey = "sk_test_worker_tests";

    public OwnDatabase Database { get; private set; } = null!;
    public ApiHost Api { get; private set; } = null!;
    public LocalStripeServer Stripe { get; private set; } = null!;
    public WorkerProcess Worker { get; private set; } = null!;
    public IStripeClient StripeClient { get; private set; } = null!;
    public HttpClient StripeAdmin { get; private set; } = null!;

    /// <summary>The meter's event name per operation class, as the catalogue sync would record it in stripe_catalog.</summary>
    public Dictionary<string, string> EventNames { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        Database = await OwnDatabase.CreateAsync();
        Stripe = await LocalStripeHost.StartAsync(s => s.SecretKey = SecretKey);
        StripeClient = StripeClients.Create(new StripeSettings { SecretKey = SecretKey, BaseUrl = Stripe.ApiBase });
        StripeAdmin = new HttpClient { BaseAddress = Stripe.BaseUrl };
        Api = new ApiHost(new Dictionary<string, string?> { ["ConnectionStrings:TenantQuota"] = Database.ConnectionString, ["Governance:AllowLoopbackHttpWebhooks"] = "true" });
        _ = Api.Address; // starts the API, which migrates this run's database

        // The classes with overage in some tier (config/quota-matrix.yaml), each with its meter.
        foreach (var operationClass in new[] { "drafts", "deep_research", "background_indexing" })
            EventNames[operationClass] = await TestMeters.CreateAsync(StripeClient, Database, operationClass);

        await TestRabbitMq.WorkerTests.PurgeAsync(Queue, Queue + "_error", Queue + "-tenant-events", Queue + "-tenant-events_error");
        Worker = await StartWorkerAsync();
    }

    /// <summary>
    /// Another worker process over the same database, queue and Stripe. Its schedules (reconciliation, billing
    /// housekeeping) are off unless <paramref name="overrides"/> turn them on: a reconciliation would send what
    /// other tests leave unsent on purpose.
    /// </summary>
    public Task<WorkerProcess> StartWorkerAsync(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = WorkerProcess.QuickSettings(TestRabbitMq.WorkerTests, Database.ConnectionString, SecretKey, Stripe.ApiBase, Queue);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;
        return WorkerProcess.StartAsync(settings);
    }

    /// <summary>A back end of the tenant, with a real minted token.</summary>
    public HttpClient Backend(string tenant) => Api.Client(TestTokens.For(tenant, "quota.check", "quota.consume"));

    /// <summary>A tenant of the tier whose Stripe customer exists (at LocalStripe and in billing_customers).</summary>
    public async Task<(string Tenant, string Customer)> CreateBilledTenantAsync(string tier)
    {
        var tenant = await Api.CreateTenantAsync(tier);
        return (tenant, await AddCustomerAsync(tenant));
    }

    /// <summary>What checkout does for a tenant: a Stripe customer, recorded in billing_customers.</summary>
    public async Task<string> AddCustomerAsync(string tenant)
    {
        var customer = await new CustomerService(StripeClient).CreateAsync(new CustomerCreateOptions { Name = tenant, Metadata = new() { ["tenant_id"] = tenant } });
        await Database.ExecuteAsync("INSERT INTO billing_customers (tenant_id, stripe_customer_id, created_at) VALUES ($1, $2, now())", tenant, customer.Id);
        return customer.Id;
    }

    public async Task<long> UsageRecordIdAsync(string tenant, string idempotencyKey) =>
        await Database.ScalarAsync<long>("SELECT id FROM usage_records WHERE tenant_id = $1 AND idempotency_key = $2", tenant, idempotencyKey);

    public sealed record OutboxRow(long UsageRecordId, string OperationClass, long Quantity, DateTimeOffset OccurredAt, DateTimeOffset? DispatchedAt);

    public async Task<List<OutboxRow>> OutboxRowsAsync(string tenant)
    {
        await using var command = Database.DataSource.CreateCommand(
            "SELECT usage_record_id, operation_class, quantity, occurred_at, dispatched_at FROM billing_outbox WHERE tenant_id = $1 ORDER BY usage_record_id");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<OutboxRow>();
        while (await reader.ReadAsync())
            rows.Add(new OutboxRow(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
        return rows;
    }

    /// <summary>The meter events LocalStripe accepted for one identifier (GET /_meter_events).</summary>
    public Task<List<JsonObject>> AcceptedMeterEventsAsync(long usageRecordId) => StripeAdmin.AcceptedMeterEventsAsync(usageRecordId);

    /// <summary>Every meter-event request LocalStripe received for one identifier (GET /_requests), retries and faults included.</summary>
    public Task<List<JsonObject>> MeterEventRequestsAsync(long usageRecordId) => StripeAdmin.MeterEventRequestsAsync(usageRecordId);

    /// <summary>Makes LocalStripe answer the next <paramref name="count"/> meter-event requests with <paramref name="status"/> (POST /_faults).</summary>
    public Task InjectMeterEventFaultAsync(int status, int count) => StripeAdmin.InjectMeterEventFaultAsync(status, count);

    /// <summary>Drops every fault not yet used (DELETE /_faults), so a test starts from a Stripe that answers.</summary>
    public async Task ClearFaultsAsync() => (await StripeAdmin.DeleteAsync("/_faults")).EnsureSuccessStatusCode();

    public async Task<JsonObject> BillingHealthAsync()
    {
        using var http = Worker.Client();
        return (await http.GetFromJsonAsync<JsonObject>("/billing/health"))!;
    }

    public async Task DisposeAsync()
    {
        if (Worker is not null) await Worker.DisposeAsync();
        if (Api is not null) await Api.DisposeAsync();
        StripeAdmin?.Dispose();
        if (Stripe is not null) await Stripe.DisposeAsync();
        if (Database is not null) await Database.DisposeAsync();
    }
}
