package io.shardmesh.server.dht;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.net.HostPort;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;

/** The contact a node advertises: where other nodes should dial it. */
public final class SelfAddress {

    private SelfAddress() {
    }

    /**
     * The contact of node {@code id} listening on {@code listen} (bound to {@code boundPort}):
     * {@code advertise} when given (its port 0 meaning the bound port), else the listen address.
     * A wildcard listen address is not dialable: the address of one of this host's interfaces
     * stands in for it (never loopback while another one exists), and the node says which.
     */
    public static Contact of(NodeId id, HostPort listen, Optional<HostPort> advertise, int boundPort, Logger log) {
        String host = advertise.map(HostPort::host).orElseGet(() -> dialable(listen.host(), boundPort, log));
        int port = advertise.map(HostPort::port).filter(p -> p != 0).orElse(boundPort);
        return new Contact(id, host, port > 0 ? port : 1);
    }

    private static String dialable(String listenHost, int port, Logger log) {
        if (!HostPort.isWildcard(listenHost)) {
            return listenHost;
        }
        Optional<String> chosen = interfaceAddresses().stream().findFirst();
        if (chosen.isPresent()) {
            log.warn("listening on {} without --advertise: advertising {}:{}, this host's first non-loopback address;"
                    + " set --advertise HOST:PORT if other nodes reach it at another address", listenHost, chosen.get(), port);
            return chosen.get();
        }
        log.warn("listening on {} without --advertise and this host has no non-loopback address: advertising 127.0.0.1,"
                + " which only nodes on this host can dial; set --advertise HOST:PORT", listenHost);
        return "127.0.0.1";
    }

    /** Up, non-loopback, non-link-local interface addresses: IPv4 before IPv6, private before public, in name order. */
    static List<String> interfaceAddresses() {
        try {
            return Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                    .filter(SelfAddress::usable)
                    .sorted(Comparator.comparing(NetworkInterface::getName))
                    .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                    .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isAnyLocalAddress())
                    .sorted(Comparator.comparing((InetAddress a) -> !(a instanceof Inet4Address))
                            .thenComparing(a -> !a.isSiteLocalAddress()))
                    .map(InetAddress::getHostAddress)
                    .toList();
        } catch (SocketException e) {
            return List.of();
        }
    }

    private static boolean usable(NetworkInterface i) {
        try {
            return i.isUp() && !i.isLoopback();
        } catch (SocketException e) {
            return false;
        }
    }
}
