package io.shardmesh.common.transfer;

import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.id.ContentId;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Where files are announced, as the pipelines see it: the DHT's provider and tombstone records
 * of a file, and the owner's own records (a tombstone). A node answers from its own Kademlia and
 * republishes what it publishes; a client that is not a node looks up and stores directly.
 */
public interface FileDirectory {

    /** The provider and tombstone records for {@code fileId} (one DHT lookup). */
    Mono<List<DhtRecord>> records(ContentId fileId);

    /** The same records, as a recent lookup found them where one is kept (see {@link Mesh#recentRecords}). */
    default Mono<List<DhtRecord>> recentRecords(ContentId fileId) {
        return records(fileId);
    }

    /**
     * Signs {@code payload} with the mesh owner's key and stores it at the nodes closest to
     * {@code key}.
     *
     * @return how many nodes accepted it
     */
    Mono<Integer> publish(ContentId key, DhtRecord.Payload payload);
}
