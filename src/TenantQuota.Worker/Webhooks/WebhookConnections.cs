using System.Net;
using System.Net.Sockets;
using TenantQuota.Domain.Governance;

namespace TenantQuota.Worker.Webhooks;

/// <summary>
/// The webhook client's connections: the URL's name is resolved here, every address it resolves to must be one a webhook
/// may go to (<see cref="WebhookAddresses"/>), and the socket connects to those very addresses. Checking at connect time,
/// not when the URL was registered, is what stops a name that resolved to a public address then and a private one now.
/// </summary>
public static class WebhookConnections
{
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ToPublicAddresses(bool allowLoopback) =>
        async (context, cancellationToken) =>
        {
            var (host, port) = (context.DnsEndPoint.Host, context.DnsEndPoint.Port);
            var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
            if (addresses.Length == 0) throw new HttpRequestException($"{host} resolves to no address.");
            if (addresses.FirstOrDefault(a => !WebhookAddresses.MayReceive(a, allowLoopback)) is { } refused)
                throw new HttpRequestException($"{host} resolves to {refused}, which is not a public address: webhooks go to public addresses only.");
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
}
