using System.Security.Cryptography;
using System.Text;
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
    /// The handler finds the answer with <see cref="QuotaDecisionOf"/>. A request carrying an Idempotency-Key header is
    /// counted once however often it is sent.
    /// </summary>
    public static TBuilder RequireQuota<TBuilder>(this TBuilder builder, string operationClass, long quantity = 1) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(new RequireQuotaFilter(operationClass, quantity));

    /// <summary>The answer <c>RequireQuota</c> got for this request (e.g. to show its warning), or null outside such an endpoint.</summary>
    public static QuotaDecision? QuotaDecisionOf(this HttpContext http) => http.Features.Get<QuotaDecision>();
}

internal sealed class RequireQuotaFilter(string operationClass, long quantity) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var subject = http.RequestServices.GetRequiredService<TenantQuotaEndpointOptions>().SubjectOf(http);
        if (string.IsNullOrEmpty(subject))
            return TypedResults.Problem("This endpoint is metered per user and the request names none.", statusCode: StatusCodes.Status401Unauthorized,
                title: "Who is asking?");
        var decision = await http.RequestServices.GetRequiredService<TenantQuotaClient>().ConsumeAsync(
            new QuotaRequest(subject, operationClass, quantity, KeyOf(http, subject)) { Language = http.Request.Headers.AcceptLanguage.ToString() },
            http.RequestAborted);
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
            http.Response.Headers.RetryAfter = "30";
            return TypedResults.Problem(message?.Body, statusCode: StatusCodes.Status503ServiceUnavailable, title: message?.Title,
                type: "https://docs.tenantquota.dev/problems/quota-service-unavailable", extensions: extensions);
        }
        extensions["resetsAt"] = decision.ResetsAt;
        var untilReset = decision.ResetsAt - DateTime.UtcNow;
        if (untilReset > TimeSpan.Zero) http.Response.Headers.RetryAfter = Math.Ceiling(untilReset.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(message?.Body, statusCode: StatusCodes.Status429TooManyRequests, title: message?.Title ?? "Quota reached",
            type: "https://docs.tenantquota.dev/problems/quota-exceeded", extensions: extensions);
    }

    /// <summary>
    /// The caller's Idempotency-Key made unique to this subject and class (another user's equal key is another consume),
    /// or none: a fresh key per request.
    /// </summary>
    private string? KeyOf(HttpContext http, string subject) =>
        http.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } key
            ? "rq-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{operationClass}\n{subject}\n{key}")))
            : null;
}
