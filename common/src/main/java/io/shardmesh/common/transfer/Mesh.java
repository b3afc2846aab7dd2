package io.shardmesh.common.transfer;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.id.ContentId;
import java.time.Clock;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * What the transfer pipelines need from the network. Every call has a deadline and fails with
 * a {@link io.shardmesh.common.error.MeshException} whose kind says what happened.
 */
public interface Mesh {

    /** The key that owns what this client puts (it signs pins and deletes). */
    NodeKey owner();

    /** Nodes believed live that shards may be placed on (including this node when it is one). */
    List<Contact> candidates();

    /** Uploads a chunk to {@code to}. */
    Mono<Void> putChunk(Contact to, ContentId id, byte[] bytes);

    /** Downloads a whole chunk from {@code from}; the caller verifies it. */
    Mono<byte[]> getChunk(Contact from, ContentId id);

    /**
     * Pins {@code chunks} on {@code holder} under {@code fileId}, signed by {@link #owner()}.
     *
     * @return the chunk ids the holder did not have
     */
    Mono<List<ContentId>> pin(Contact holder, ContentId fileId, List<ContentId> chunks);

    /**
     * Removes {@link #owner()}'s pins of {@code fileId} on {@code holder}, signed by the owner.
     *
     * @return how many pins the holder removed
     */
    Mono<Integer> unpin(Contact holder, ContentId fileId);

    /** The provider and tombstone records for {@code fileId} (one DHT lookup). */
    Mono<List<DhtRecord>> records(ContentId fileId);

    /**
     * Signs {@code payload} with {@link #owner()} and stores it at the nodes closest to {@code key}.
     *
     * @return how many nodes accepted it
     */
    Mono<Integer> publish(ContentId key, DhtRecord.Payload payload);

    /** Wall-clock time. */
    Clock clock();
}
