package io.shardmesh.server.status;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.RoutingTable;
import io.shardmesh.server.repair.RepairStatus;
import java.util.List;

/** A snapshot of a node, as {@code Node.Status} reports it. */
public record NodeStatus(Contact self, String listenAddress, String version, long startedAtUnixMs, long uptimeMs,
                         long storedChunks, long storedBytes, long reservedBytes, long maxStorageBytes, long pinnedFiles,
                         int routingTableSize, List<RoutingTable.BucketInfo> buckets, long dhtRecords,
                         RepairStatus repair, String transport) {

    public NodeStatus {
        buckets = List.copyOf(buckets);
        java.util.Objects.requireNonNull(repair, "repair");
        java.util.Objects.requireNonNull(transport, "transport");
    }
}
