using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using static TenantQuota.Api.Errors.ProblemJson;

namespace TenantQuota.Api.Errors;

/// <summary>
/// Exceptions as problem+json. Bad input that the framework rejects (malformed JSON, wrong content
/// type, oversize or short body) is a 4xx that names the field where it can; the database being
/// unreachable is a 503 with Retry-After (transient, and a retry with the same key is safe);
/// anything else unexpected is a 500 without internals.
/// </summary>
public sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger, NpgsqlDataSource database) : IExceptionHandler
{
    /// <summary>How long a client should wait before retrying after a database outage.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            BadHttpRequestException { StatusCode: 413 } => Problem(413, ProblemTypes.PayloadTooLarge, "The request body is too large.",
                "The body is larger than this endpoint accepts."),
            BadHttpRequestException { StatusCode: 415 } => Problem(415, ProblemTypes.UnsupportedMediaType, "Unsupported media type.",
                "Send the body as application/json."),
            BadHttpRequestException { InnerException: JsonException json } => MalformedJson(json),
            BadHttpRequestException bad => Problem(bad.StatusCode, ProblemTypes.ForStatus(bad.StatusCode), "The request could not be read.", bad.Message),
            TenantAccessException denied => Problem(403, denied.Type, "Forbidden.", denied.Message),
            _ when IsDatabaseUnavailable(exception) => DatabaseUnavailable(http, exception),
            _ => null,
        };
        if (IsConnectionBroken(exception)) ClearPools();
        if (problem is null)
        {
            logger.LogError(exception, "Unhandled exception for {Method} {Path}", http.Request.Method, http.Request.Path);
            problem = Problem(500, ProblemTypes.Internal, "Something went wrong on our side.",
                "The request could not be completed. Retrying is safe: a consume retried with the same idempotency key is counted at most once.");
        }
        await WriteAsync(http, problem);
        return true;
    }

    /// <summary>
    /// The database cannot be reached or is going away: no connection, a broken one, a timeout or an
    /// exhausted pool, a server shutting down or refusing connections. Other transient errors
    /// (deadlocks, serialization failures, disk full) are bugs or capacity faults of ours: a 500.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException postgres)
                return postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                       || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                           or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections;
            if (e is NpgsqlException && e.InnerException is IOException or System.Net.Sockets.SocketException or TimeoutException)
                return true;
        }
        return false;
    }

    private ProblemDetails DatabaseUnavailable(HttpContext http, Exception exception)
    {
        logger.LogWarning(exception, "The database is unavailable for {Method} {Path}", http.Request.Method, http.Request.Path);
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problem(503, ProblemTypes.ServiceUnavailable, "Temporarily unavailable.",
            $"The quota store cannot be reached right now. Retry after {RetryAfterSeconds} seconds: " +
            "a consume retried with the same idempotency key is counted at most once, whether or not this attempt reached the store.");
    }

    /// <summary>
    /// The connection itself broke (the server went away, restarted or refused us): the idle pooled connections are
    /// broken too. Not a timeout or an exhausted pool: the connections are fine then, and closing them would add
    /// reconnects to a database that is already slow.
    /// </summary>
    private static bool IsConnectionBroken(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException postgres)
                return postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                       || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow;
            if (e is NpgsqlException && e.InnerException is IOException or System.Net.Sockets.SocketException) return true;
        }
        return false;
    }

    /// <summary>
    /// Drops the idle pooled connections (the data source's and the global pool the identity store uses): otherwise,
    /// once the database is back, each broken one would fail one more request. Only for broken connections, which fail
    /// fast; while the database is away the pools are empty and this costs nothing.
    /// </summary>
    private void ClearPools()
    {
        database.Clear();
        NpgsqlConnection.ClearAllPools();
    }

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
