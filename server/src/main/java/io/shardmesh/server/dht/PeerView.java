package io.shardmesh.server.dht;

import io.shardmesh.common.dht.Contact;

/** A peer as {@code Node.ListPeers} shows it. */
public record PeerView(Contact contact, Status status, long firstSeenUnixMs, long lastSeenUnixMs, int lastRttMillis,
                       int failures) {

    /** Liveness. */
    public enum Status { ONLINE, UNRESPONSIVE, OFFLINE }
}
