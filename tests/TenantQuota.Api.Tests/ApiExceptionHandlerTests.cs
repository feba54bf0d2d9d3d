using Npgsql;
using TenantQuota.Api.Errors;

namespace TenantQuota.Api.Tests;

/// <summary>Which database failures are an outage (503, retry later) and which are faults of ours (500).</summary>
public sealed class ApiExceptionHandlerTests
{
    public static TheoryData<Exception, bool> Failures => new()
    {
        { new NpgsqlException("Exception while reading from stream", new EndOfStreamException()), true },
        { new NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException(111)), true },
        { new NpgsqlException("The connection pool has been exhausted", new TimeoutException()), true },
        { new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown), true },
        { new PostgresException("the database system is starting up", "FATAL", "FATAL", PostgresErrorCodes.CannotConnectNow), true },
        { new PostgresException("connection failure", "FATAL", "FATAL", PostgresErrorCodes.ConnectionFailure), true },
        { new InvalidOperationException("wrapped", new NpgsqlException("Exception while writing to stream", new IOException())), true },
        { new PostgresException("deadlock detected", "ERROR", "ERROR", PostgresErrorCodes.DeadlockDetected), false },
        { new PostgresException("could not serialize access", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure), false },
        { new PostgresException("disk full", "ERROR", "ERROR", PostgresErrorCodes.DiskFull), false },
        { new PostgresException("syntax error", "ERROR", "ERROR", PostgresErrorCodes.SyntaxError), false },
        { new InvalidOperationException("a bug"), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Calls_only_an_unreachable_database_an_outage(Exception failure, bool outage) =>
        Assert.Equal(outage, ApiExceptionHandler.IsDatabaseUnavailable(failure));
}
