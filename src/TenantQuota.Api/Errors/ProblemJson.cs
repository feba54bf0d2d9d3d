using Microsoft.AspNetCore.Mvc;

namespace TenantQuota.Api.Errors;

/// <summary>
/// The one place where answers become problem+json. Endpoint results (<see cref="Problems"/>), the
/// exception handler, the auth events, the request limits and the framework's own status pages all
/// write through the problem details service, and <see cref="Complete"/> gives each the same shape:
/// a stable type per status and a detail a person can read.
/// </summary>
public static class ProblemJson
{
    public static IServiceCollection AddProblemJson(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context => Complete(context.ProblemDetails));
        services.AddExceptionHandler<ApiExceptionHandler>();
        return services;
    }

    /// <summary>
    /// Writes a problem answer with the given status; headers already set on the response stay.
    /// A client whose Accept header excludes JSON still gets problem+json: an error must never
    /// turn into an empty answer (the problem details service declines to write then).
    /// </summary>
    public static async Task WriteAsync(HttpContext http, ProblemDetails problem)
    {
        http.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        var writer = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (await writer.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem })) return;
        Complete(problem);
        await http.Response.WriteAsJsonAsync(problem, problem.GetType(), options: null, contentType: "application/problem+json");
    }

    public static ProblemDetails Problem(int status, string type, string title, string detail) =>
        new() { Status = status, Type = type, Title = title, Detail = detail };

    private static void Complete(ProblemDetails problem)
    {
        // The framework fills in RFC links (tools.ietf.org) for the statuses it answers itself.
        if (problem.Status is { } status && (problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal)))
            problem.Type = ProblemTypes.ForStatus(status);
        problem.Detail ??= problem.Title;
    }
}
