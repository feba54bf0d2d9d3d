using Microsoft.Extensions.Options;
using TenantQuota.LocalStripe.Admin;
using TenantQuota.LocalStripe.Resources;
using TenantQuota.LocalStripe.Webhooks;
using TenantQuota.LocalStripe.Wire;

namespace TenantQuota.LocalStripe;

/// <summary>
/// Builds LocalStripe, for its own process (<see cref="LocalStripeProgram"/>) and for tests that run it
/// in theirs (<see cref="StartAsync"/>).
/// </summary>
public static class LocalStripeHost
{
    /// <summary>Where it listens unless --urls (or ASPNETCORE_URLS) says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:12111";

    /// <summary>
    /// The application, not started. Configuration: <paramref name="args"/> (<c>--urls</c>,
    /// <c>--LocalStripe:WebhookUrl …</c>), environment (<c>LocalStripe__*</c>), appsettings.json.
    /// <paramref name="configure"/> runs last, before the build: add settings or replace services
    /// (e.g. a <see cref="TimeProvider"/>).
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(LocalStripeHost).Assembly.GetName().Name,
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
            builder.WebHost.UseUrls(DefaultUrl);
        // In code, not in an appsettings.json: that file would be copied into the output of every test
        // project that references this one, over the files of the other hosts it references.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning).AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);

        var services = builder.Services;
        services.AddOptions<LocalStripeSettings>().BindConfiguration("LocalStripe").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(StripeSpec.Load());
        services.AddSingleton<StripeStore>();
        services.AddSingleton<IdempotencyStore>();
        services.AddSingleton<FaultInjector>();
        services.AddSingleton<RequestLog>();
        services.AddSingleton<StripePipeline>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(provider => provider.GetRequiredService<WebhookDispatcher>());
        services.AddHttpClient(WebhookDispatcher.HttpClientName);
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseRequestIds();
        Customers.Map(app);
        Products.Map(app);
        Prices.Map(app);
        Meters.Map(app);
        MeterEvents.Map(app);
        CheckoutSessions.Map(app);
        Subscriptions.Map(app);
        BillingPortal.Map(app);
        Events.Map(app);
        StripePipeline.MapUnknown(app);
        CheckoutPage.Map(app);
        AdminApi.Map(app);
        app.MapGet("/", () => Results.Text("LocalStripe: a local stand-in for the part of Stripe's API that TenantQuota uses. See src/TenantQuota.LocalStripe/README.md.\n"));

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var settings = app.Services.GetRequiredService<IOptions<LocalStripeSettings>>().Value;
            app.Logger.LogInformation("LocalStripe on {Urls}; webhooks to {Endpoints}; state is in memory and is lost on restart",
                string.Join(", ", app.Urls), settings.WebhookUrls.Count == 0 ? "(none configured)" : string.Join(", ", settings.WebhookUrls));
        });
        return app;
    }

    /// <summary>
    /// Starts LocalStripe in this process on a free loopback port and returns once it listens. For tests:
    /// <c>await using var stripe = await LocalStripeHost.StartAsync(s => s.WebhookUrl = receiverUrl);</c>
    /// then point Stripe.net's ApiBase and MeterEventsBase at <see cref="LocalStripeServer.ApiBase"/>.
    /// Logging is at Warning unless <paramref name="configure"/> changes it.
    /// </summary>
    public static async Task<LocalStripeServer> StartAsync(Action<LocalStripeSettings>? settings = null,
        Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var app = Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            if (settings is not null) builder.Services.Configure(settings);
            configure?.Invoke(builder);
        });
        await app.StartAsync(cancellationToken);
        return new LocalStripeServer(app);
    }
}

/// <summary>A running in-process LocalStripe (<see cref="LocalStripeHost.StartAsync"/>). Dispose stops it.</summary>
public sealed class LocalStripeServer : IAsyncDisposable
{
    internal LocalStripeServer(WebApplication app)
    {
        App = app;
        BaseUrl = new Uri(app.Urls.First());
    }

    public WebApplication App { get; }

    /// <summary>http://127.0.0.1:{port}/</summary>
    public Uri BaseUrl { get; }

    /// <summary>http://127.0.0.1:{port}, without the trailing slash: Stripe.net's ApiBase and MeterEventsBase.</summary>
    public string ApiBase => BaseUrl.GetLeftPart(UriPartial.Authority);

    public LocalStripeSettings Settings => App.Services.GetRequiredService<IOptions<LocalStripeSettings>>().Value;

    /// <summary>The first signing secret (whsec_…): what the receiving side verifies with.</summary>
    public string WebhookSecret => Settings.WebhookSecrets[0];

    /// <summary>Replaces the webhook endpoints (as PUT /_webhooks/endpoints does), e.g. once the receiving host has a port.</summary>
    public void SetWebhookEndpoints(params string[] urls) => App.Services.GetRequiredService<WebhookDispatcher>().SetEndpoints(urls);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
