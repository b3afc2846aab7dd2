package io.shardmesh.common.dht;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The network a contact's address belongs to, for the routing table's diversity rule: its /24
 * for IPv4, its /48 for IPv6 (what one operator typically holds, as kad-dht groups peers). One
 * actor with many ids on one network can fill only a few places ({@link RoutingTable.Diversity}).
 *
 * <p>Addresses no outsider can mint at will (loopback, private, link-local, unique-local) are in
 * no group and never capped: a mesh on one LAN or one machine is all one network on purpose.
 * A host name (not an IP literal) is its own group: it is never resolved here.
 */
final class NetworkGroup {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private NetworkGroup() {
    }

    /** The group of {@code host}, or empty when it is exempt from the rule. */
    static Optional<String> of(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!IPV4.matcher(h).matches() && h.indexOf(':') < 0) {
            return Optional.of("name " + h.toLowerCase(java.util.Locale.ROOT));
        }
        InetAddress a;
        try {
            // A literal: parsed, never looked up.
            a = InetAddress.getByName(h);
        } catch (UnknownHostException | SecurityException e) {
            return Optional.of("name " + h);
        }
        if (a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()) {
            return Optional.empty();
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            if ((b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64) {
                return Optional.empty(); // 100.64.0.0/10, carrier-grade NAT: shared, not ownable
            }
            return Optional.of(String.format("%d.%d.%d.0/24", b[0] & 0xff, b[1] & 0xff, b[2] & 0xff));
        }
        if (a instanceof Inet6Address && (b[0] & 0xfe) == 0xfc) {
            return Optional.empty(); // fc00::/7, unique local
        }
        return Optional.of(String.format("%02x%02x:%02x%02x:%02x%02x::/48", b[0], b[1], b[2], b[3], b[4], b[5]));
    }
}
