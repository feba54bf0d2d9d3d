using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace TenantQuota.Api.Errors;

/// <summary>
/// The one place where exceptions become problem+json. Bad input that the framework rejects
/// (malformed JSON, wrong content type, oversize body) is a 4xx that names the field where it can;
/// anything unexpected is a 500 without internals.
/// </summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            BadHttpRequestException { StatusCode: 413 } => Problem(413, ProblemTypes.PayloadTooLarge, "The request body is too large.",
                "The body is larger than this endpoint accepts."),
            BadHttpRequestException { StatusCode: 415 } => Problem(415, ProblemTypes.UnsupportedMediaType, "Unsupported media type.",
                "Send the body as application/json."),
            BadHttpRequestException { InnerException: JsonException json } => MalformedJson(json),
            BadHttpRequestException bad => Problem(bad.StatusCode, ProblemTypes.ForStatus(bad.StatusCode), "The request is malformed.", bad.Message),
            TenantAccessException denied => Problem(403, denied.Type, "Forbidden.", denied.Message),
            _ => null,
        };
        if (problem is null)
        {
            logger.LogError(exception, "Unhandled exception for {Method} {Path}", http.Request.Method, http.Request.Path);
            problem = Problem(500, ProblemTypes.Internal, "Something went wrong on our side.",
                "The request could not be completed. Retrying is safe: a consume retried with the same idempotency key is counted at most once.");
        }
        http.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails Problem(int status, string type, string title, string detail) =>
        new() { Status = status, Type = type, Title = title, Detail = detail };

    /// <summary>Turns System.Text.Json's "$.quantity" path into the field name the client sent.</summary>
    private static ProblemDetails MalformedJson(JsonException json)
    {
        var field = json.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
        var message = field == "body"
            ? "The body is not valid JSON."
            : $"'{field}' has a value of the wrong type or format.";
        return new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = 400,
            Type = ProblemTypes.MalformedBody,
            Title = "The request body is malformed.",
            Detail = message,
        };
    }
}
