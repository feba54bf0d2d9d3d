using Microsoft.AspNetCore.Http.HttpResults;

namespace TenantQuota.Api.Errors;

/// <summary>The problem answers endpoints return, as typed results (written through <see cref="ProblemJson"/>).</summary>
public static class Problems
{
    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors,
            detail: string.Join(" ", errors.SelectMany(e => e.Value)),
            title: "The request is invalid.",
            type: ProblemTypes.Validation);

    public static ValidationProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: 404, title: "Not found.", type: ProblemTypes.NotFound);

    public static ProblemHttpResult Conflict(string type, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: 409, title: title, type: type);
}

/// <summary>Thrown when the caller's token is valid but cannot act for a tenant; mapped to 403.</summary>
public sealed class TenantAccessException(string type, string detail) : Exception(detail)
{
    public string Type { get; } = type;
}
