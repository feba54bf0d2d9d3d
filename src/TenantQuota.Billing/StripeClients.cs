using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Stripe;

namespace TenantQuota.Billing;

/// <summary>The one Stripe.net client of a host, built from <see cref="StripeSettings"/>.</summary>
public static class StripeClients
{
    /// <summary>
    /// Stripe__* settings (validated at start) and an <see cref="IStripeClient"/>. Stripe.net's own
    /// retries stay on (2, with backoff); they reuse the Idempotency-Key we set, so they and our
    /// own retries are the same request to Stripe.
    /// </summary>
    public static IServiceCollection AddStripe(this IServiceCollection services)
    {
        services.AddOptions<StripeSettings>().BindConfiguration("Stripe").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IStripeClient>(provider => Create(provider.GetRequiredService<IOptions<StripeSettings>>().Value));
        return services;
    }

    public static StripeClient Create(StripeSettings settings)
    {
        var http = string.IsNullOrEmpty(settings.ApiVersion) || settings.ApiVersion == StripeConfiguration.ApiVersion
            ? new HttpClient()
            : new HttpClient(new StripeVersionHandler(settings.ApiVersion) { InnerHandler = new SocketsHttpHandler() });
        return new StripeClient(new StripeClientOptions
        {
            ApiKey = settings.SecretKey ?? "sk_test_billing_disabled",
            ApiBase = settings.BaseUrl.TrimEnd('/'),
            MeterEventsBase = settings.BaseUrl.TrimEnd('/'),
            HttpClient = new SystemNetHttpClient(http),
        });
    }

    /// <summary>Stripe.net always sends the version it pins; Stripe__ApiVersion replaces it on the wire.</summary>
    private sealed class StripeVersionHandler(string version) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Remove("Stripe-Version");
            request.Headers.TryAddWithoutValidation("Stripe-Version", version);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
