package io.shardmesh.server.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.Kademlia;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.transfer.FileDirectory;
import java.util.List;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * Files as a node finds them in the DHT: one lookup that walks to the k closest nodes and merges
 * every holder's provider record (and any tombstone), and records of the node's own that it
 * keeps republishing. Reads take a recent lookup's records ({@link Kademlia#recentValue}).
 */
public final class DhtFileDirectory implements FileDirectory {

    private final Kademlia kademlia;
    private final Publisher publisher;

    public DhtFileDirectory(Kademlia kademlia, Publisher publisher) {
        this.kademlia = requireNonNull(kademlia, "kademlia");
        this.publisher = requireNonNull(publisher, "publisher");
    }

    @Override
    public Mono<List<DhtRecord>> records(ContentId fileId) {
        return kademlia.lookupValue(fileId, Optional.empty(), false)
                .map(r -> r.records().stream().filter(rec -> rec.kind() != RecordKind.VALUE).toList());
    }

    @Override
    public Mono<List<DhtRecord>> recentRecords(ContentId fileId) {
        return kademlia.recentValue(fileId, Optional.empty())
                .map(records -> records.stream().filter(rec -> rec.kind() != RecordKind.VALUE).toList());
    }

    @Override
    public Mono<Integer> publish(ContentId key, DhtRecord.Payload payload) {
        return publisher.publishOwn(key, payload, kademlia.config().recordTtl());
    }
}
