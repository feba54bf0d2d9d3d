using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace TenantQuota.Worker.Hosting;

/// <summary>
/// A plain RabbitMQ connection beside MassTransit's, for what MassTransit does not offer: the
/// readiness check and the error queue's depth. Opened on first use, re-opened after a failure
/// (the client's automatic recovery handles drops in between).
/// </summary>
public sealed class BrokerConnection(IOptions<RabbitMqSettings> settings) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    public async Task<IConnection> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_connection is { IsOpen: true } open) return open;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is { IsOpen: true } current) return current;
            if (_connection is not null) await _connection.DisposeAsync();
            _connection = null;
            var s = settings.Value;
            var factory = new ConnectionFactory
            {
                HostName = s.Host,
                Port = s.Port,
                VirtualHost = s.VirtualHost,
                UserName = s.Username,
                Password = s.Password,
                ClientProvidedName = "tenantquota-worker-health",
                RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
            };
            return _connection = await factory.CreateConnectionAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Messages waiting in a queue; 0 when the queue does not exist (yet).</summary>
    public async Task<long> MessageCountAsync(string queue, CancellationToken cancellationToken = default)
    {
        var connection = await GetAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return await channel.MessageCountAsync(queue, cancellationToken);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return 0; // MassTransit declares the error queue with the first fault
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _gate.Dispose();
    }
}
