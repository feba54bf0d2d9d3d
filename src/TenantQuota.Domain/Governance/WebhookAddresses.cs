using System.Net;
using System.Net.Sockets;

namespace TenantQuota.Domain.Governance;

/// <summary>
/// Where a webhook may be delivered: public unicast addresses only. A tenant admin chooses the URL, so without this
/// our worker would post, from inside our network, to whatever a name resolves to: the cloud's metadata service
/// (169.254.169.254), a database port on 10.x, the worker's own loopback.
/// </summary>
public static class WebhookAddresses
{
    /// <param name="allowLoopback">For a stack on one machine (Governance__AllowLoopbackHttpWebhooks): its receivers run on 127.0.0.1.</param>
    public static bool MayReceive(IPAddress address, bool allowLoopback)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return allowLoopback;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or >= 224 // "this network", private, multicast and reserved
                     || b[0] == 100 && b[1] is >= 64 and < 128 // carrier-grade NAT
                     || b[0] == 169 && b[1] == 254 // link-local, where cloud metadata services answer
                     || b[0] == 172 && b[1] is >= 16 and < 32
                     || b[0] == 192 && b[1] == 168
                     || b[0] == 192 && b[1] == 0 && b[2] is 0 or 2 // IETF protocol assignments, documentation
                     || b[0] == 192 && b[1] == 88 && b[2] == 99 // 6to4 relays
                     || b[0] == 198 && b[1] is 18 or 19 // benchmarking
                     || b[0] == 198 && b[1] == 51 && b[2] == 100 || b[0] == 203 && b[1] == 0 && b[2] == 113); // documentation
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // Global unicast (2000::/3) only: that leaves out unique local, link-local, multicast, IPv4-compatible and NAT64
            // prefixes (64:ff9b::/96, 64:ff9b:1::/48), which carry or reach addresses we would have to check again.
            var b = address.GetAddressBytes();
            return (b[0] & 0xe0) == 0x20
                   && !address.IsIPv6Teredo
                   && !(b[0] == 0x20 && b[1] == 0x02) // 6to4: carries an IPv4 address
                   && !(b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8); // documentation
        }
        return false;
    }
}
