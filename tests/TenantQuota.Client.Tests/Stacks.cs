using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TenantQuota.Client.AspNetCore;
using TenantQuota.Testing;

namespace TenantQuota.Client.Tests;

/// <summary>The real identity host and an API that trusts it.</summary>
public sealed class StackFixture : IAsyncLifetime
{
    public DashboardStack Stack { get; private set; } = null!;

    public async Task InitializeAsync() => Stack = await DashboardStack.StartAsync();

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}

/// <summary>
/// The same, with the API reaching PostgreSQL through a <see cref="TcpProxy"/>: <see cref="TcpProxy.Cut"/> is the
/// database going away for this API (connections dropped and refused), without stopping the server other tests share.
/// </summary>
public sealed class OutageStackFixture : IAsyncLifetime
{
    public TcpProxy Database { get; private set; } = null!;
    public DashboardStack Stack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var database = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString);
        Database = new TcpProxy(database.Host!, database.Port);
        database.Host = "127.0.0.1";
        database.Port = Database.Port;
        database.Timeout = 3;
        Stack = await DashboardStack.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:TenantQuota"] = database.ConnectionString });
    }

    public async Task DisposeAsync()
    {
        await Stack.DisposeAsync();
        await Database.DisposeAsync();
    }
}

public static class Clients
{
    public static TenantQuotaClientOptions OptionsFor(DashboardStack stack, DashboardTenant tenant) => new()
    {
        BaseAddress = stack.Api.Address, Issuer = new Uri(stack.Identity.Issuer + "/"), ClientId = tenant.ClientId, ClientSecret = tenant.ClientSecret,
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
    };

    /// <summary>A client over <paramref name="network"/> (the real network when null), on <paramref name="clock"/>.</summary>
    public static TenantQuotaClient Over(TenantQuotaClientOptions options, HttpMessageHandler? network = null, TimeProvider? clock = null) =>
        TenantQuotaClient.Create(new HttpClient(network ?? new HttpClientHandler()), options, clock);
}

/// <summary>
/// A SaaS back end written as the README shows: <c>AddTenantQuota</c> from its configuration and <c>RequireQuota</c> on its
/// endpoints. The user is whoever the X-User header names (the back end's own sign-in is not what is tested here).
/// </summary>
public sealed class SampleBackEnd : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _summaries;
    private int _research;

    private SampleBackEnd(WebApplication app) => _app = app;

    public HttpClient Http { get; private set; } = null!;
    public TenantQuotaClient Quota => _app.Services.GetRequiredService<TenantQuotaClient>();

    /// <summary>How often each handler ran (the filter lets it run only when the consume was allowed).</summary>
    public (int Summaries, int Research) HandlerRuns => (Volatile.Read(ref _summaries), Volatile.Read(ref _research));

    public static async Task<SampleBackEnd> StartAsync(DashboardStack stack, DashboardTenant tenant, Dictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TenantQuota:BaseAddress"] = stack.Api.Address.ToString(),
            ["TenantQuota:Issuer"] = stack.Identity.Issuer + "/",
            ["TenantQuota:ClientId"] = tenant.ClientId,
            ["TenantQuota:ClientSecret"] = tenant.ClientSecret,
        });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.Services.AddTenantQuota(builder.Configuration.GetSection("TenantQuota"), endpoints =>
        {
            endpoints.SubjectOf = http => http.Request.Headers["X-User"].ToString() is { Length: > 0 } user ? user : null;
            endpoints.ReplayInterval = TimeSpan.FromMilliseconds(100);
        });
        var app = builder.Build();
        var backEnd = new SampleBackEnd(app);
        app.MapPost("/summaries", (HttpContext http) =>
        {
            Interlocked.Increment(ref backEnd._summaries);
            return new { summary = "…", warning = http.QuotaDecisionOf()?.Message?.Title };
        }).RequireQuota("summaries");
        app.MapPost("/research", () =>
        {
            Interlocked.Increment(ref backEnd._research);
            return new { report = "…" };
        }).RequireQuota("deep_research");
        await app.StartAsync();
        backEnd.Http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        return backEnd;
    }

    public Task<HttpResponseMessage> PostAsync(string path, string? user, string? idempotencyKey = null, string? language = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (user is not null) request.Headers.Add("X-User", user);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (language is not null) request.Headers.Add("Accept-Language", language);
        return Http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// The network between a client and the real API: the first <paramref name="failures"/> calls to the API itself (not
/// the issuer) get what <paramref name="fail"/> makes; when <paramref name="deliverFirst"/>, each of them reaches the API
/// first and only its answer is lost. Counts the API calls that went out and keeps their bodies.
/// </summary>
public sealed class FlakyNetwork(int failures, Func<HttpResponseMessage> fail, bool deliverFirst = false) : DelegatingHandler(new HttpClientHandler())
{
    private int _left = failures;
    public List<string> Bodies { get; } = [];

    /// <summary>Fail from now on (after the first failures were used up), or stop failing.</summary>
    public int FailuresLeft { set => Volatile.Write(ref _left, value); }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.RequestUri!.AbsolutePath.StartsWith("/v1/", StringComparison.Ordinal)) return await base.SendAsync(request, cancellationToken);
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        lock (Bodies) Bodies.Add(body);
        if (Interlocked.Decrement(ref _left) < 0) return await base.SendAsync(request, cancellationToken);
        if (deliverFirst) (await base.SendAsync(request, cancellationToken)).Dispose();
        return fail();
    }

    public static HttpResponseMessage Unavailable() =>
        new(System.Net.HttpStatusCode.ServiceUnavailable) { Headers = { RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromMilliseconds(1)) } };

    public static HttpResponseMessage Reset() => throw new HttpRequestException("connection reset");
}
