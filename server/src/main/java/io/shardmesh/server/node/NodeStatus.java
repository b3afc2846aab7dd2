package io.shardmesh.server.node;

import io.shardmesh.common.dht.Contact;

/** A snapshot of a node, as {@code Node.Status} reports it. */
public record NodeStatus(Contact self, String listenAddress, String version, long startedAtUnixMs, long uptimeMs,
                         long storedChunks, long storedBytes, long maxStorageBytes, long pinnedFiles) {
}
