namespace TenantQuota.Api.Errors;

/// <summary>Typed problem+json results with our stable type URIs.</summary>
public static class Problems
{
    public static IResult Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors,
            detail: string.Join(" ", errors.SelectMany(e => e.Value)),
            title: "The request is invalid.",
            type: ProblemTypes.Validation);

    public static IResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static IResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: 404, title: "Not found.", type: ProblemTypes.NotFound);

    public static IResult Conflict(string type, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: 409, title: title, type: type);

    public static IResult Forbidden(string type, string detail) =>
        TypedResults.Problem(detail, statusCode: 403, title: "Forbidden.", type: type);
}

/// <summary>Thrown when the caller's token is valid but cannot act for a tenant; mapped to 403.</summary>
public sealed class TenantAccessException(string type, string detail) : Exception(detail)
{
    public string Type { get; } = type;
}
