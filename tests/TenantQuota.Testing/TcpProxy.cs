using System.Net;
using System.Net.Sockets;

namespace TenantQuota.Testing;

/// <summary>
/// A loopback TCP forwarder in front of a real server (PostgreSQL, RabbitMQ), so a test can take the
/// server away from a host and give it back without touching the shared server: <see cref="Cut"/>
/// drops every connection and refuses new ones until <see cref="Restore"/>. Point the host's port
/// setting at <see cref="Port"/> (e.g. RabbitMq__Port for the worker).
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private volatile bool _cut;
    private int _forwarded;
    private int _refused;

    public TcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections forwarded so far (a client that reconnects after a cut counts again).</summary>
    public int Forwarded => Volatile.Read(ref _forwarded);

    /// <summary>Connection attempts closed at once because the proxy was cut.</summary>
    public int Refused => Volatile.Read(ref _refused);

    public void Cut()
    {
        _cut = true;
        lock (_open)
        {
            foreach (var client in _open) client.Dispose();
            _open.Clear();
        }
    }

    public void Restore() => _cut = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try { inbound = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            if (_cut)
            {
                Interlocked.Increment(ref _refused);
                inbound.Dispose();
                continue;
            }
            Interlocked.Increment(ref _forwarded);
            _ = ForwardAsync(inbound);
        }
    }

    private async Task ForwardAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        lock (_open) { _open.Add(inbound); _open.Add(outbound); }
        try
        {
            await outbound.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            var a = inbound.GetStream();
            var b = outbound.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A cut or a closed side ends the pair; the other side is closed below.
        }
        finally
        {
            inbound.Dispose();
            outbound.Dispose();
            lock (_open) { _open.Remove(inbound); _open.Remove(outbound); }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        await _accepting;
        _stop.Dispose();
    }
}
