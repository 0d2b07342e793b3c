using System.Net;
using System.Net.Sockets;

namespace Pharos.Actors.Ingest;

/// <summary>The addresses no repository host may resolve to: the classifier behind the validator's DNS rule.</summary>
public static class InternalAddresses
{
    /// <summary>
    /// True for addresses a repository host must never resolve to: loopback, private, carrier-grade NAT, link-local,
    /// unspecified, multicast and reserved ranges (IETF protocol assignments, benchmarking), including IPv4 addresses
    /// inside IPv6 (mapped, compatible, NAT64) and the IPv6 ranges that reach IPv4 of any kind (6to4, local-use NAT64).
    /// </summary>
    public static bool IsInternal(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or 127 => true,                 // "this network", private, loopback
                100 => b[1] is >= 64 and <= 127,        // 100.64/10 carrier-grade NAT
                169 => b[1] == 254,                     // link-local (cloud metadata services live here)
                172 => b[1] is >= 16 and <= 31,
                192 => b[1] == 168 || (b[1] == 0 && b[2] == 0), // 192.168/16 private, 192.0.0/24 IETF protocol assignments
                198 => b[1] is 18 or 19,                // 198.18/15 benchmarking networks
                >= 224 => true,                         // multicast 224/4, reserved 240/4, broadcast
                _ => false,
            };
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6) return true;
        if (address.IsIPv4MappedToIPv6) return IsInternal(address.MapToIPv4());

        var v6 = address.GetAddressBytes();
        if (v6.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0) return true; // ::, ::1 and IPv4-compatible ::a.b.c.d
        if (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b && v6.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
            return IsInternal(new IPAddress(v6.AsSpan(12, 4))); // 64:ff9b::/96 NAT64 reaches the embedded IPv4 address
        if (v6[0] == 0x20 && v6[1] == 0x02) return true; // 2002::/16 6to4: a relay reaches whatever IPv4 it embeds
        if (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b && v6[4] == 0x00 && v6[5] == 0x01)
            return true; // 64:ff9b:1::/48 local-use NAT64: a translator of the operator's own, to any IPv4
        return (v6[0] & 0xfe) == 0xfc                       // fc00::/7 unique local
            || (v6[0] == 0xfe && (v6[1] & 0xc0) is 0x80 or 0xc0) // fe80::/10 link-local, fec0::/10 old site-local
            || v6[0] == 0xff;                               // multicast
    }
}
