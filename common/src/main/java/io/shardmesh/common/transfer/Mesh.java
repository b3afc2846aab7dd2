package io.shardmesh.common.transfer;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.id.ContentId;
import java.time.Clock;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * What the transfer pipelines need from the network. Every call has a deadline, checks that the
 * node answering is the one meant (a contact whose address now holds another identity fails),
 * and fails with a {@link io.shardmesh.common.error.MeshException} whose kind says what happened.
 */
public interface Mesh {

    /** The key that owns what this client puts (it signs pins and deletes). */
    NodeKey owner();

    /** Nodes known to this client, believed live (including this node when it is one). */
    List<Contact> candidates();

    /**
     * Which of {@code nodes} answer now, as themselves, within a short deadline: a writer
     * places shards only on these.
     */
    Mono<List<Contact>> probe(List<Contact> nodes);

    /**
     * Uploads a chunk to {@code to} within the writer's upload {@code session}; completes once
     * the node has it stored, verified and durable.
     */
    Mono<Void> putChunk(Contact to, ContentId id, byte[] bytes, String session);

    /** Ends an upload session on {@code at}: what it uploaded there and nobody pinned is deleted now. */
    Mono<Void> abortUpload(Contact at, String session);

    /** Downloads a whole chunk from {@code from}; the caller verifies it. */
    Mono<byte[]> getChunk(Contact from, ContentId id);

    /** Which of {@code chunks} {@code holder} has now. */
    Mono<List<ContentId>> has(Contact holder, List<ContentId> chunks);

    /**
     * Pins {@code chunks} on {@code holder} under {@code fileId}, signed by {@link #owner()}.
     *
     * @return the chunk ids the holder did not have
     */
    Mono<List<ContentId>> pin(Contact holder, ContentId fileId, List<ContentId> chunks);

    /**
     * Pins {@code chunks} of a file that {@link #owner()} need not own on {@code holder}, as a
     * repair pin signed by the owner key: the holder accepts it only for chunks the file's
     * manifest lists, while the file's owner has not deleted it, and records it as the owner's.
     *
     * @return the chunk ids the holder did not have
     */
    Mono<List<ContentId>> repairPin(Contact holder, ContentId fileId, List<ContentId> chunks);

    /**
     * Removes {@link #owner()}'s pins of {@code fileId} on {@code holder}, signed by the owner.
     *
     * @return how many pins the holder removed
     */
    Mono<Integer> unpin(Contact holder, ContentId fileId);

    /** The provider and tombstone records for {@code fileId} (one DHT lookup). */
    Mono<List<DhtRecord>> records(ContentId fileId);

    /**
     * The same records, as a recent lookup found them where the mesh keeps one (a node's lookup
     * cache): what a read uses; repair and stat use {@link #records}.
     */
    default Mono<List<DhtRecord>> recentRecords(ContentId fileId) {
        return records(fileId);
    }

    /**
     * Signs {@code payload} with {@link #owner()} and stores it at the nodes closest to {@code key}.
     *
     * @return how many nodes accepted it
     */
    Mono<Integer> publish(ContentId key, DhtRecord.Payload payload);

    /** Wall-clock time. */
    Clock clock();
}
