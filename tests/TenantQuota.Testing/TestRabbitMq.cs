using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace TenantQuota.Testing;

/// <summary>
/// The real RabbitMQ the tests run against, one virtual host per test suite. Every worker's queue is
/// bound to the same OverageRecorded exchange, so workers of two suites in one virtual host would each
/// get the other's overage (and a queue missing in one suite would go unnoticed while another's took
/// its messages). TQ_TEST_RABBITMQ is the URL of the run's virtual host prefix; a suite's virtual host
/// is that prefix + "_" + its name. scripts/test.sh creates one per name in its TEST_RABBITMQ_SUITES,
/// fresh per run, and deletes them at the end; without it, tenantquota_test_{suite} on loopback.
/// </summary>
public sealed class TestRabbitMq(Uri url)
{
    public static TestRabbitMq WorkerTests { get; } = For("worker");

    /// <summary>The fault tests count every message: no other suite's worker may share their exchange.</summary>
    public static TestRabbitMq FaultTests { get; } = For("faults");

    /// <summary>Workers of the schedule tests, each over a stack of its own.</summary>
    public static TestRabbitMq ScheduleTests { get; } = For("schedules");

    public static TestRabbitMq Features { get; } = For("features");

    /// <summary>The worker beside the dashboard's browser tests (it evaluates alerts and rolls usage up when told).</summary>
    public static TestRabbitMq Dashboard { get; } = For("dashboard");

    public Uri Url { get; } = url;

    private static TestRabbitMq For(string suite) =>
        new(new Uri($"{Environment.GetEnvironmentVariable("TQ_TEST_RABBITMQ") ?? "amqp://tenantquota:tenantquota@127.0.0.1:5672/tenantquota_test"}_{suite}"));

    /// <summary>The worker's RabbitMq:* settings for <see cref="Url"/>.</summary>
    public Dictionary<string, string?> Settings()
    {
        var credentials = Uri.UnescapeDataString(Url.UserInfo).Split(':', 2);
        return new()
        {
            ["RabbitMq:Host"] = Url.Host,
            ["RabbitMq:Port"] = (Url.IsDefaultPort ? 5672 : Url.Port).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RabbitMq:VirtualHost"] = Url.AbsolutePath.Length > 1 ? Uri.UnescapeDataString(Url.AbsolutePath[1..]) : "/",
            ["RabbitMq:Username"] = credentials[0],
            ["RabbitMq:Password"] = credentials.Length > 1 ? credentials[1] : "",
        };
    }

    public async Task<IConnection> ConnectAsync() => await new ConnectionFactory { Uri = Url }.CreateConnectionAsync();

    /// <summary>Empties queues left by an earlier run (their messages name usage records of a dropped database).</summary>
    public async Task PurgeAsync(params string[] queues)
    {
        await using var connection = await ConnectAsync();
        foreach (var queue in queues)
        {
            await using var channel = await connection.CreateChannelAsync();
            try { await channel.QueuePurgeAsync(queue); }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404) { /* not declared yet */ }
        }
    }

    /// <summary>Deletes queues a test declared for itself (absent ones are fine).</summary>
    public async Task DeleteAsync(params string[] queues)
    {
        await using var connection = await ConnectAsync();
        foreach (var queue in queues)
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(queue);
        }
    }
}
