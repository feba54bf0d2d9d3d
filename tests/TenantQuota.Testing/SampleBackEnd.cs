using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Client;
using TenantQuota.Client.AspNetCore;

namespace TenantQuota.Testing;

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
            ["TenantQuota:RequestTimeout"] = "00:00:30", // a loaded CI machine may be slower than the 3 s default
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
