using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace TenantQuota.Client.AspNetCore;

/// <summary>Metering an endpoint: <c>app.MapPost("/summarize", …).RequireQuota("summaries")</c>.</summary>
public static class RequireQuotaExtensions
{
    /// <summary>
    /// Consumes <paramref name="quantity"/> of <paramref name="operationClass"/> for the request's subject before the
    /// handler runs. A denial answers 429 problem+json with the user-facing copy (title, detail, when it resets, what an
    /// upgrade unlocks) and the handler never runs; TenantQuota out of reach with the class failing closed answers 503.
    /// The handler finds the answer with <see cref="QuotaDecisionOf"/>. Each request is one consume (its key is kept
    /// across the client's own retries): a caller's Idempotency-Key header is not honoured, since the handler would run
    /// again for a replayed key and that use would go uncounted.
    /// </summary>
    public static TBuilder RequireQuota<TBuilder>(this TBuilder builder, string operationClass, long quantity = 1) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(new RequireQuotaFilter(operationClass, quantity));

    /// <summary>The answer <c>RequireQuota</c> got for this request (e.g. to show its warning), or null outside such an endpoint.</summary>
    public static QuotaDecision? QuotaDecisionOf(this HttpContext http) => http.Features.Get<QuotaDecision>();
}

internal sealed class RequireQuotaFilter(string operationClass, long quantity) : IEndpointFilter
{
    private const string Problems = "https://docs.tenantquota.dev/problems/";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var subject = http.RequestServices.GetRequiredService<TenantQuotaEndpointOptions>().SubjectOf(http);
        if (string.IsNullOrEmpty(subject))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem("This endpoint is metered per user and the request names none: sign in first.",
                statusCode: StatusCodes.Status401Unauthorized, title: "Who is asking?", type: Problems + "no-subject");
        }
        var client = http.RequestServices.GetRequiredService<TenantQuotaClient>();
        var decision = await client.ConsumeAsync(
            new QuotaRequest(subject, operationClass, quantity) { Language = http.Request.Headers.AcceptLanguage.ToString() }, http.RequestAborted);
        http.Features.Set(decision);
        if (decision.Allowed) return await next(context);

        var message = decision.Message;
        var extensions = new Dictionary<string, object?>
        {
            ["operationClass"] = decision.OperationClass, ["decision"] = decision.Decision, ["reason"] = decision.Reason,
            ["fallbackClass"] = decision.FallbackClass, ["upgrade"] = message?.Cta,
        };
        if (decision.Offline)
        {
            // TenantQuota may be asked again once the circuit's break is over.
            http.Response.Headers.RetryAfter = Seconds(client.Breaker.BreakDuration);
            return TypedResults.Problem(message?.Body, statusCode: StatusCodes.Status503ServiceUnavailable, title: message?.Title,
                type: Problems + "quota-service-unavailable", extensions: extensions);
        }
        // Retry-After only where waiting helps: the limit that refused resets then. A refused model or an anomaly hold does not pass with time.
        var limiting = decision.Levels.Where(l => l.Level == decision.LimitingLevel).OrderByDescending(l => l.State == "hard_limit").FirstOrDefault();
        var resetsAt = limiting?.ResetsAt ?? decision.ResetsAt;
        extensions["resetsAt"] = resetsAt;
        if (decision.Reason is null or "limit" or "priority" && resetsAt - DateTime.UtcNow is { } wait && wait > TimeSpan.Zero)
            http.Response.Headers.RetryAfter = Seconds(wait);
        return TypedResults.Problem(message?.Body, statusCode: StatusCodes.Status429TooManyRequests, title: message?.Title ?? "Quota reached",
            type: Problems + "quota-exceeded", extensions: extensions);
    }

    private static string Seconds(TimeSpan wait) => Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}
