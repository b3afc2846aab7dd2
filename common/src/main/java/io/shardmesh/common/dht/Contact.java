package io.shardmesh.common.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.NodeId;

/** How to reach a node: its id and the address it advertises. */
public record Contact(NodeId id, String host, int port) {

    public Contact {
        requireNonNull(id, "id");
        requireNonNull(host, "host");
        if (host.isBlank() || host.length() > 253 || host.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw MeshException.invalidArgument("contact host must be a host name or IP address, got '" + host + "'");
        }
        if (port < 1 || port > 65535) {
            throw MeshException.invalidArgument("contact port must be 1..65535, got " + port);
        }
    }

    /** {@code host:port}, with IPv6 literals in brackets. */
    public String address() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    @Override
    public String toString() {
        return id.hex().substring(0, 12) + "@" + address();
    }
}
