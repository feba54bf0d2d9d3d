using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace TenantQuota.Client.AspNetCore;

/// <summary>How the endpoint filter finds the end user, and how often the journal of an outage is sent again.</summary>
public sealed class TenantQuotaEndpointOptions
{
    /// <summary>The subject a request consumes for; none: the request is answered 401. By default the user's <c>sub</c> claim, else their name.</summary>
    public Func<HttpContext, string?> SubjectOf { get; set; } = http =>
        http.User.FindFirst("sub")?.Value ?? http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value ?? http.User.Identity?.Name;

    /// <summary>How often journaled consumes are offered to TenantQuota again (only while there are any).</summary>
    public TimeSpan ReplayInterval { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>Registering TenantQuota in a back end: <c>builder.Services.AddTenantQuota(builder.Configuration.GetSection("TenantQuota"))</c>.</summary>
public static class TenantQuotaServices
{
    private const string HttpClientKey = "TenantQuota";

    /// <summary>
    /// A <see cref="TenantQuotaClient"/> for the whole application, configured from <paramref name="section"/> (BaseAddress,
    /// Issuer, ClientId, ClientSecret, and optionally FailureModes, DefaultFailureMode, JournalPath … as in
    /// <see cref="TenantQuotaClientOptions"/>), and a background replay of the outage journal.
    /// </summary>
    public static IServiceCollection AddTenantQuota(this IServiceCollection services, IConfiguration section, Action<TenantQuotaEndpointOptions>? configure = null)
    {
        var options = section.Get<TenantQuotaClientOptions>();
        string[] missing = [.. new (string Name, object? Value)[]
            {
                (nameof(options.BaseAddress), options?.BaseAddress), (nameof(options.Issuer), options?.Issuer),
                (nameof(options.ClientId), options?.ClientId), (nameof(options.ClientSecret), options?.ClientSecret),
            }.Where(s => s.Value is null or "").Select(s => ConfigurationPath.Combine((section as IConfigurationSection)?.Path ?? "", s.Name))];
        if (missing.Length > 0) throw new InvalidOperationException($"TenantQuota is not configured: set {string.Join(", ", missing)}.");
        return services.AddTenantQuota(options!, configure);
    }

    /// <summary>The same with options built in code.</summary>
    public static IServiceCollection AddTenantQuota(this IServiceCollection services, TenantQuotaClientOptions options, Action<TenantQuotaEndpointOptions>? configure = null)
    {
        options.Validate();
        var endpoints = new TenantQuotaEndpointOptions();
        configure?.Invoke(endpoints);
        if (endpoints.ReplayInterval <= TimeSpan.Zero) throw new ArgumentException("TenantQuota ReplayInterval must be positive.", nameof(configure));
        services.AddSingleton(endpoints);
        // One pooled HttpClient for the application (connections renewed, so DNS changes are seen), the container's to dispose.
        services.AddKeyedSingleton(HttpClientKey, (_, _) =>
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan });
        services.AddSingleton(provider => TenantQuotaClient.Create(provider.GetRequiredKeyedService<HttpClient>(HttpClientKey), options, provider.GetService<TimeProvider>()));
        services.AddHostedService<JournalReplayer>();
        return services;
    }
}
