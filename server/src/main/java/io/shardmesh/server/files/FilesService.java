package io.shardmesh.server.files;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.OwnerProof;
import io.shardmesh.common.crypto.SignedAction;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.common.transfer.Mesh;
import io.shardmesh.server.dht.DhtService;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/** The node's files: the gateway put and get, the list of files it knows, and owner-signed delete. */
public final class FilesService {

    /** Outcome of a delete. */
    public record Deleted(int holdersUnpinned, int holdersUnreachable) {
    }

    private final FilePut put;
    private final FileGet get;
    private final Mesh mesh;
    private final ManifestIndex index;
    private final DhtService dht;
    private final NodeKey key;
    private final Clock clock;
    private final Scheduler blocking;

    public FilesService(FilePut put, FileGet get, Mesh mesh, ManifestIndex index, DhtService dht, NodeKey key, Clock clock,
                        Scheduler blocking) {
        this.put = requireNonNull(put, "put");
        this.get = requireNonNull(get, "get");
        this.mesh = requireNonNull(mesh, "mesh");
        this.index = requireNonNull(index, "index");
        this.dht = requireNonNull(dht, "dht");
        this.key = requireNonNull(key, "key");
        this.clock = requireNonNull(clock, "clock");
        this.blocking = requireNonNull(blocking, "blocking");
    }

    /** Stores a file through this node; it is listed here afterwards. */
    public Mono<FilePut.Result> put(FilePut.Options options, Flux<ByteBuffer> data) {
        // The same content put again after a delete is alive again: stop republishing our
        // tombstone (readers already prefer the holders' newer announcements).
        return put.put(options, data).flatMap(r -> Mono.fromRunnable(() -> index.add(r.fileId(), r.manifest(), clock.millis()))
                .subscribeOn(blocking)
                .then(dht.unpublishOwn(r.fileId(), io.shardmesh.common.dht.RecordKind.TOMBSTONE))
                .thenReturn(r));
    }

    public Mono<FileGet.Resolved> resolve(ContentId fileId, Optional<byte[]> fileKey) {
        return get.resolve(fileId, fileKey);
    }

    public Flux<ByteBuffer> read(FileGet.Resolved r, Optional<byte[]> fileKey, long offset, long length) {
        return get.read(r, fileKey, offset, length);
    }

    public Mono<ManifestIndex.Page> list(int pageSize, String token) {
        return Mono.fromCallable(() -> index.list(pageSize, token)).subscribeOn(blocking);
    }

    /**
     * Deletes a file this node owns (asked from this host, or with the owner's proof): every holder unpins it (so its shards are collected after
     * the grace period) and a tombstone is published, republished by this node, so readers and
     * listers stop seeing it. A proof, when given, must be the owner's, and the owner must be
     * this node: only the owner's node can sign the tombstone.
     */
    public Mono<Deleted> delete(ContentId fileId, Optional<OwnerProof> proof, boolean callerIsLocal) {
        return Mono.defer(() -> {
            if (proof.isEmpty() && !callerIsLocal) {
                // The node's own key signs for callers on its host (its operator); anyone else
                // must prove they are the owner.
                throw MeshException.permissionDenied("deleting " + fileId + " needs the owner's signature (DeleteRequest.owner)"
                        + " or a call from this node's own host");
            }
            long now = clock.millis();
            NodeId requester = proof.map(p -> p.verify(SignedAction.delete(fileId), now)).orElse(key.id());
            return mesh.records(fileId).flatMap(records -> get.resolve(fileId, Optional.empty()).flatMap(r -> {
                if (!r.manifest().ownerId().equals(requester)) {
                    return Mono.error(MeshException.permissionDenied("file " + fileId + " belongs to "
                            + r.manifest().ownerId() + "; " + requester + " may not delete it"));
                }
                if (!requester.equals(key.id())) {
                    return Mono.error(MeshException.permissionDenied("file " + fileId + " is owned by node "
                            + requester + "; delete it through that node (only it can sign the tombstone)"));
                }
                Map<NodeId, Contact> holders = new LinkedHashMap<>();
                for (DhtRecord rec : records) {
                    if (rec.payload() instanceof DhtRecord.Provider p) {
                        holders.put(p.holder().id(), p.holder());
                    }
                }
                Mono<List<Boolean>> unpins = Flux.fromIterable(holders.values())
                        .flatMap(h -> mesh.unpin(h, fileId).map(n -> true).onErrorResume(e -> Mono.just(false)), 8)
                        .collectList();
                return dht.publishOwn(fileId, new DhtRecord.Tombstone(key.id()), dht.kademlia().config().recordTtl())
                        .then(unpins)
                        .flatMap(results -> Mono.fromCallable(() -> {
                            index.markDeleted(fileId, clock.millis());
                            int ok = (int) results.stream().filter(b -> b).count();
                            return new Deleted(ok, results.size() - ok);
                        }).subscribeOn(blocking));
            }));
        });
    }

    /** Indexes a manifest this node holds (it pinned the blob). Blocking. */
    public void indexHeld(ContentId fileId, byte[] manifestBytes) {
        index.add(fileId, io.shardmesh.common.grpc.ManifestCodec.parse(fileId, manifestBytes), clock.millis());
    }
}
