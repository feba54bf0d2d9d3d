using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using Stripe;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Billing;
using TenantQuota.Api.Entitlements;
using TenantQuota.Api.Errors;
using TenantQuota.Api.Tenants;
using TenantQuota.Data;
using TenantQuota.Billing;
using TenantQuota.Billing.Customers;
using TenantQuota.Billing.Subscriptions;
using TenantQuota.Data.EndUser;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Api.Demo;

/// <summary>Demo__*: the demo product at /demo. Off unless Demo__Enabled; scripts/start.sh turns it on for a newcomer.</summary>
public sealed class DemoSettings
{
    /// <summary>Never in production: the demo's endpoints are anonymous and act for the demo tenants.</summary>
    public bool Enabled { get; set; }

    /// <summary>The tenants the demo may act for (the ones scripts/start.sh seeds).</summary>
    public List<string> Tenants { get; set; } = ["acme", "globex", "initech", "umbrella"];
}

public sealed record DemoAction(string OperationClass, string Label);

public sealed record DemoTenant(string Id, string Name, string Tier);

/// <param name="Billing">Whether the upgrade button can open Stripe Checkout (billing is on).</param>
public sealed record DemoConfig(IReadOnlyList<DemoTenant> Tenants, IReadOnlyList<string> Tiers, IReadOnlyCollection<string> Locales, IReadOnlyList<DemoAction> Actions, bool Billing);

public sealed record DemoSessionRequest(string? TenantId, string? SubjectId);

public sealed record DemoTierRequest(string? TenantId, string? Tier);

public sealed record DemoActRequest(string? TenantId, string? SubjectId, string? OperationClass);

/// <summary>
/// "Quill", a small fake AI writing app of the demo tenants, so that the whole product can be seen in a
/// browser right after scripts/start.sh: its buttons consume quota as a SaaS back end would (through the
/// same consume handler), its meter is the embeddable one reading a real view token, and its upgrade
/// button opens Stripe Checkout when billing is on. Each endpoint is the demo back end acting for a demo
/// tenant, which is why none of this is mapped unless Demo__Enabled.
/// </summary>
public static class DemoApi
{
    private static readonly DemoAction[] Actions =
        [new("summaries", "Summarize"), new("drafts", "Draft"), new("deep_research", "Deep research")];

    public static WebApplication MapDemo(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<IOptions<DemoSettings>>().Value;
        if (!settings.Enabled) return app;

        var demo = app.MapGroup("/demo").AllowAnonymous().ExcludeFromDescription();
        demo.MapGet("/", () => Page("demo.html", "text/html; charset=utf-8"));
        demo.MapGet("/demo.js", () => Page("demo.js", "text/javascript; charset=utf-8"));
        demo.MapGet("/config", Config);
        demo.MapPost("/session", Session);
        demo.MapPost("/tier", Tier);
        demo.MapPost("/act", Act);
        demo.MapPost("/upgrade", Upgrade).AddEndpointFilter(BillingProblems.Guard);
        return app;
    }

    private static async Task<Ok<DemoConfig>> Config(IOptions<DemoSettings> settings, IOptions<StripeSettings> stripe, TenantQuotaDb db, QuotaMatrix matrix,
        EntitlementDependencies deps, CancellationToken cancellationToken)
    {
        var tenants = new List<DemoTenant>();
        foreach (var id in settings.Value.Tenants)
            if (await db.Tenants.FindAsync([id], cancellationToken) is { } tenant) tenants.Add(new DemoTenant(tenant.Id, tenant.Name, tenant.Tier));
        return TypedResults.Ok(new DemoConfig(tenants, matrix.Tiers, deps.Copy.Locales, Actions.Where(a => matrix.TryGetClass(a.OperationClass, out _)).ToList(),
            stripe.Value.Enabled));
    }

    private static async Task<Results<Created<EndUser.ViewTokenResponse>, ValidationProblem, ProblemHttpResult>> Session(
        DemoSessionRequest? request, IOptions<DemoSettings> settings, ViewTokens tokens, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (DemoTenantError(request?.TenantId, settings.Value) is { } problem) return problem;
        if (EntitlementRequest.ValidateSubjectId(request!.SubjectId) is { } invalid) return Problems.Validation("subjectId", invalid);
        var (token, expiresAt) = await tokens.CreateAsync(request.TenantId!, request.SubjectId!, clock.GetUtcNow(), ViewTokens.MaxLifetime, cancellationToken);
        return TypedResults.Created((string?)null, new EndUser.ViewTokenResponse(token, expiresAt.UtcDateTime, request.SubjectId!));
    }

    private static async Task<Results<Ok<TenantResponse>, ValidationProblem, ProblemHttpResult>> Tier(
        DemoTierRequest? request, IOptions<DemoSettings> settings, TenantQuotaDb db, QuotaMatrix matrix, TenantDirectory directory,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        if (DemoTenantError(request?.TenantId, settings.Value) is { } problem) return problem;
        return await TenantEndpoints.ChangeTierAs("demo", request!.TenantId!, new ChangeTierRequest(request.Tier), db, matrix, directory, clock, cancellationToken);
    }

    /// <summary>What a SaaS back end does when its user presses a button: consume one of the class, answering in the user's language.</summary>
    private static async Task<Results<Ok<DecisionResponse>, ValidationProblem, ProblemHttpResult>> Act(
        DemoActRequest? request, IOptions<DemoSettings> settings, EntitlementDependencies deps, HttpContext http, CancellationToken cancellationToken)
    {
        if (DemoTenantError(request?.TenantId, settings.Value) is { } problem) return problem;
        var consume = new EntitlementRequest { SubjectId = request!.SubjectId, OperationClass = request.OperationClass, Quantity = 1, IdempotencyKey = Guid.NewGuid().ToString("N") };
        return await ConsumeEndpoint.Handle(consume, new TenantContext(request.TenantId!), deps, http, cancellationToken);
    }

    /// <summary>The upgrade button: a Stripe Checkout session for the tier, as the tenant's admin would start it (billing's guard answers when billing is off).</summary>
    private static async Task<Results<Created<CheckoutSessionResponse>, ValidationProblem, ProblemHttpResult>> Upgrade(
        DemoTierRequest? request, IOptions<DemoSettings> settings, HttpContext http, TenantQuotaDb db, NpgsqlDataSource dataSource, QuotaMatrix matrix,
        IOptions<BillingSettings> billing, BillingCustomers customers, BillingSubscriptions subscriptions, IStripeClient stripe, CancellationToken cancellationToken)
    {
        if (DemoTenantError(request?.TenantId, settings.Value) is { } problem) return problem;
        var back = $"{http.Request.Scheme}://{http.Request.Host}/demo?tenant={Uri.EscapeDataString(request!.TenantId!)}";
        var checkout = new CheckoutSessionRequest(request.Tier, back + "&upgraded=" + Uri.EscapeDataString(request.Tier ?? ""), back);
        return await CheckoutSessionEndpoint.Handle(new TenantContext(request.TenantId!), checkout, db, dataSource, matrix, billing, customers,
            subscriptions, stripe, cancellationToken);
    }

    private static ProblemHttpResult? DemoTenantError(string? tenantId, DemoSettings settings) =>
        tenantId is not null && settings.Tenants.Contains(tenantId, StringComparer.Ordinal)
            ? null
            : TypedResults.Problem($"The demo acts for its demo tenants only ({string.Join(", ", settings.Tenants)}).",
                statusCode: StatusCodes.Status400BadRequest, title: "Not a demo tenant.", type: ProblemTypes.Validation);

    private static IResult Page(string name, string contentType)
    {
        using var stream = typeof(DemoApi).Assembly.GetManifestResourceStream($"TenantQuota.Api.Demo.{name}")
            ?? throw new InvalidOperationException($"{name} is not embedded in the API assembly.");
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), contentType);
    }
}
