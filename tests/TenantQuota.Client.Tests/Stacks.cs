using TenantQuota.Testing;

namespace TenantQuota.Client.Tests;

/// <summary>The real identity host and an API that trusts it.</summary>
public sealed class StackFixture : IAsyncLifetime
{
    public DashboardStack Stack { get; private set; } = null!;

    public async Task InitializeAsync() => Stack = await DashboardStack.StartAsync();

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}

/// <summary>The same, with the API's database behind a proxy that can take it away (<see cref="OutageStack"/>).</summary>
public sealed class OutageStackFixture : IAsyncLifetime
{
    private OutageStack _outage = null!;
    public TcpProxy Database => _outage.Database;
    public DashboardStack Stack => _outage.Stack;

    public async Task InitializeAsync() => _outage = await OutageStack.StartAsync();

    public async Task DisposeAsync() => await _outage.DisposeAsync();
}

public static class Clients
{
    public static TenantQuotaClientOptions OptionsFor(DashboardStack stack, DashboardTenant tenant) => new()
    {
        BaseAddress = stack.Api.Address, Issuer = new Uri(stack.Identity.Issuer + "/"), ClientId = tenant.ClientId, ClientSecret = tenant.ClientSecret,
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        // Tests count tries; on a loaded CI machine a real call may take longer than the 3 s default, and a try that
        // timed out would be tried again (one more than counted) or, with one try allowed, fail the call.
        RequestTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>A client over <paramref name="network"/> (the real network when null), on <paramref name="clock"/>.</summary>
    public static TenantQuotaClient Over(TenantQuotaClientOptions options, HttpMessageHandler? network = null, TimeProvider? clock = null) =>
        TenantQuotaClient.Create(new HttpClient(network ?? new HttpClientHandler()), options, clock);
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
