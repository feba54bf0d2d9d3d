using System.Globalization;
using System.Net.Http.Json;
using RabbitMQ.Client;
using Stripe;
using TenantQuota.Billing;
using TenantQuota.LocalStripe;
using TenantQuota.Testing;

namespace TenantQuota.Worker.Tests.Faults;

/// <summary>
/// Not run beside other collections: every worker's queue is bound to the one OverageRecorded
/// exchange of the virtual host, so a worker of another collection would get a copy of each message
/// published here (and this one of theirs), with usage record ids that mean other rows in its database.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultPipelineCollection : ICollectionFixture<FaultPipeline>
{
    public const string Name = "overage pipeline under faults";
}

/// <summary>
/// The overage pipeline, real everywhere, for the fault tests: the API host over a database of this
/// run's own, LocalStripe in-process with a meter for drafts, and RabbitMQ (the test virtual host).
/// Workers are not started here: each test starts its own (in-process, behind a <see cref="TcpProxy"/>,
/// or as a child process it can kill) on a queue of this run's own, deleted at the end.
/// </summary>
public sealed class FaultPipeline : IAsyncLifetime
{
    public const string SecretKey = "sk_test_worker_fault_tests";
    public const string OperationClass = "drafts";

    /// <summary>Unique per run, so a concurrent run elsewhere never takes this run's messages.</summary>
    public string Queue { get; } = $"billing-overage-faults-{Guid.NewGuid():N}"[..36];

    public OwnDatabase Database { get; private set; } = null!;
    public ApiHost Api { get; private set; } = null!;
    public LocalStripeServer Stripe { get; private set; } = null!;
    public IStripeClient StripeClient { get; private set; } = null!;
    public HttpClient StripeAdmin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await OwnDatabase.CreateAsync();
        Stripe = await LocalStripeHost.StartAsync(s => s.SecretKey = SecretKey);
        StripeClient = StripeClients.Create(new StripeSettings { SecretKey = SecretKey, BaseUrl = Stripe.ApiBase });
        StripeAdmin = new HttpClient { BaseAddress = Stripe.BaseUrl };
        Api = new ApiHost(new Dictionary<string, string?> { ["ConnectionStrings:TenantQuota"] = Database.ConnectionString });
        _ = Api.Address; // starts the API, which migrates this run's database

        await TestMeters.CreateAsync(StripeClient, Database, OperationClass);
    }

    /// <summary>
    /// The worker's settings: this run's database, queue and LocalStripe, RabbitMQ on
    /// <paramref name="brokerPort"/> when given (a proxy's), quick polls and retries, reconciliation and
    /// housekeeping off. <paramref name="overrides"/> last.
    /// </summary>
    public Dictionary<string, string?> WorkerSettings(int? brokerPort = null, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = WorkerProcess.QuickSettings(TestRabbitMq.FaultTests, Database.ConnectionString, SecretKey, Stripe.ApiBase, Queue);
        settings["Worker:RetryLimit"] = "20";
        if (brokerPort is { } port) settings["RabbitMq:Port"] = port.ToString(CultureInfo.InvariantCulture);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;
        return settings;
    }

    /// <summary>Where the test RabbitMQ listens (what a <see cref="TcpProxy"/> forwards to).</summary>
    public static (string Host, int Port) Broker
    {
        get
        {
            var settings = TestRabbitMq.FaultTests.Settings();
            return (settings["RabbitMq:Host"]!, int.Parse(settings["RabbitMq:Port"]!, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>A worker host in this process (the production WorkerHost), ready when this returns.</summary>
    public Task<WorkerProcess> StartWorkerAsync(int? brokerPort = null, IReadOnlyDictionary<string, string?>? overrides = null) =>
        WorkerProcess.StartAsync(WorkerSettings(brokerPort, overrides));

    /// <summary>A worker as a process of its own (TenantQuota.Worker.dll), which a test can kill.</summary>
    public Task<WorkerChildProcess> StartWorkerChildProcessAsync(IReadOnlyDictionary<string, string?>? overrides = null) =>
        WorkerChildProcess.StartAsync(WorkerSettings(overrides: overrides));

    /// <summary>A tenant of the pro tier (drafts: hard limit 400 a day per subject, then overage) with a Stripe customer.</summary>
    public async Task<OverageStream> NewStreamAsync(int subjects = 4)
    {
        var tenant = await Api.CreateTenantAsync("pro");
        var customer = await new CustomerService(StripeClient).CreateAsync(new CustomerCreateOptions { Name = tenant, Metadata = new() { ["tenant_id"] = tenant } });
        await Database.ExecuteAsync("INSERT INTO billing_customers (tenant_id, stripe_customer_id, created_at) VALUES ($1, $2, now())", tenant, customer.Id);
        var stream = new OverageStream(this, tenant, customer.Id, Api.Client(TestTokens.For(tenant, "quota.check", "quota.consume")), subjects);
        await stream.FillAsync();
        return stream;
    }

    /// <summary>LocalStripe answers the next <paramref name="count"/> meter-event requests so (POST /_faults); see Wire/Faults.cs.</summary>
    public async Task InjectMeterEventFaultAsync(int count, int? status = null, int delayMs = 0, bool abort = false)
    {
        var response = await StripeAdmin.PostAsJsonAsync("/_faults",
            new { pathPrefix = "/v1/billing/meter_events", method = "POST", status, count, delayMs, abort });
        response.EnsureSuccessStatusCode();
    }

    public async Task ClearFaultsAsync() => (await StripeAdmin.DeleteAsync("/_faults")).EnsureSuccessStatusCode();

    public async Task DisposeAsync()
    {
        StripeAdmin?.Dispose();
        if (Api is not null) await Api.DisposeAsync();
        if (Stripe is not null) await Stripe.DisposeAsync();
        if (Database is not null) await Database.DisposeAsync();
        await DeleteQueuesAsync();
    }

    /// <summary>This run's queues and the exchanges MassTransit bound them with, so nothing keeps collecting messages.</summary>
    private async Task DeleteQueuesAsync()
    {
        await using var connection = await TestRabbitMq.FaultTests.ConnectAsync();
        foreach (var name in new[] { Queue, Queue + "_error", Queue + "_skipped" })
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(name);
            await channel.ExchangeDeleteAsync(name);
        }
    }
}
