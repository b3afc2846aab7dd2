package io.shardmesh.common.dht;

import io.shardmesh.common.id.ContentId;
import java.util.List;
import java.util.Optional;

/**
 * The records a node holds for others. Methods may block on storage: the Kademlia logic calls
 * them on its blocking scheduler. A key holds at most one record per (kind, publisher).
 */
public interface RecordStore {

    /**
     * Keeps {@code record} (already verified) unless a newer one from the same publisher is held.
     *
     * @return true if stored or replaced an older one
     * @throws io.shardmesh.common.error.MeshException RESOURCE_EXHAUSTED when the publisher or the
     *     node is at its record limit
     */
    boolean put(DhtRecord record, long nowUnixMs, KademliaConfig limits);

    /** The unexpired records for {@code key}, of {@code kind} when given. */
    List<DhtRecord> get(ContentId key, Optional<RecordKind> kind, long nowUnixMs);

    /** Drops expired records; how many. */
    int expire(long nowUnixMs);

    /** How many records are held. */
    long count();
}
