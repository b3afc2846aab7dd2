package io.shardmesh.server.dht;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.net.HostPort;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import org.slf4j.Logger;

/** The contact a node advertises: where other nodes should dial it. */
public final class SelfAddress {

    private SelfAddress() {
    }

    /**
     * The contact of node {@code id} listening on {@code listen} (bound to {@code boundPort}):
     * {@code advertise} when given (its port 0 meaning the bound port), else the listen address;
     * a wildcard listen address is not dialable, so this host's address stands in for it.
     */
    public static Contact of(NodeId id, HostPort listen, Optional<HostPort> advertise, int boundPort, Logger log) {
        String host = advertise.map(HostPort::host).orElseGet(() -> dialable(listen.host(), log));
        int port = advertise.map(HostPort::port).filter(p -> p != 0).orElse(boundPort);
        return new Contact(id, host, port > 0 ? port : 1);
    }

    private static String dialable(String listenHost, Logger log) {
        if (!listenHost.equals("0.0.0.0") && !listenHost.equals("::") && !listenHost.equals("[::]")) {
            return listenHost;
        }
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (UnknownHostException e) {
            log.warn("cannot find this host's address to advertise; using 127.0.0.1 (set --advertise)");
            return "127.0.0.1";
        }
    }
}
