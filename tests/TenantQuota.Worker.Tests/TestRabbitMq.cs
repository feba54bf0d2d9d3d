using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace TenantQuota.Worker.Tests;

/// <summary>
/// The real RabbitMQ the tests run against: TQ_TEST_RABBITMQ (scripts/test.sh exports it; a virtual
/// host of its own, recreated per run), else the tenantquota_test virtual host on loopback.
/// </summary>
public static class TestRabbitMq
{
    public static Uri Url { get; } = new(Environment.GetEnvironmentVariable("TQ_TEST_RABBITMQ")
                                         ?? "amqp://tenantquota:tenantquota@127.0.0.1:5672/tenantquota_test");

    /// <summary>The worker's RabbitMq:* settings for <see cref="Url"/>.</summary>
    public static Dictionary<string, string?> Settings()
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

    public static async Task<IConnection> ConnectAsync() => await new ConnectionFactory { Uri = Url }.CreateConnectionAsync();

    /// <summary>Empties queues left by an earlier run (their messages name usage records of a dropped database).</summary>
    public static async Task PurgeAsync(params string[] queues)
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
    public static async Task DeleteAsync(params string[] queues)
    {
        await using var connection = await ConnectAsync();
        foreach (var queue in queues)
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(queue);
        }
    }
}
