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
                     || b[0] == 192 && b[1] == 0 && b[2] == 0 // IETF protocol assignments
                     || b[0] == 198 && b[1] is 18 or 19); // benchmarking
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                     || (b[0] & 0xfe) == 0xfc // unique local fc00::/7
                     || address.IsIPv6Teredo
                     || b[0] == 0x20 && b[1] == 0x02 // 6to4: carries an IPv4 address we would have to check again
                     || b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b); // NAT64: the same
        }
        return false;
    }
}
