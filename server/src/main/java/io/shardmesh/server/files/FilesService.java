package io.shardmesh.server.files;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.OwnerProof;
import io.shardmesh.common.crypto.SignedAction;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.transfer.FileDelete;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FileHealth;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.server.dht.Publisher;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The node as a gateway for whole files: put and get through the shared pipelines, the list of
 * files it knows, and owner-signed delete. Files put through a node are owned by its key.
 */
public final class FilesService {

    private final FilePut put;
    private final FileGet get;
    private final FileDelete delete;
    private final FileHealth health;
    private final ManifestIndex index;
    private final Publisher publisher;
    private final NodeId self;
    private final Clock clock;
    private final Scheduler blocking;

    public FilesService(FilePut put, FileGet get, FileDelete delete, FileHealth health, ManifestIndex index,
                        Publisher publisher, NodeId self, Clock clock, Scheduler blocking) {
        this.put = requireNonNull(put, "put");
        this.get = requireNonNull(get, "get");
        this.delete = requireNonNull(delete, "delete");
        this.health = requireNonNull(health, "health");
        this.index = requireNonNull(index, "index");
        this.publisher = requireNonNull(publisher, "publisher");
        this.self = requireNonNull(self, "self");
        this.clock = requireNonNull(clock, "clock");
        this.blocking = requireNonNull(blocking, "blocking");
    }

    /** Stores a file through this node; it is listed here afterwards. */
    public Mono<FilePut.Result> put(FilePut.Options options, Flux<ByteBuffer> data) {
        // The same content put again after a delete is alive again: stop republishing our
        // tombstone (readers already prefer the holders' newer announcements).
        return put.put(options, data).flatMap(r -> Mono.fromRunnable(() -> index.add(r.fileId(), r.manifest(), clock.millis(), true))
                .subscribeOn(blocking)
                .then(publisher.unpublishOwn(r.fileId(), RecordKind.TOMBSTONE))
                .thenReturn(r));
    }

    /** Resolves {@code fileId} from a lookup made now: what stat shows. */
    public Mono<FileGet.Resolved> resolve(ContentId fileId, Optional<byte[]> fileKey) {
        return get.resolve(fileId, fileKey);
    }

    /** Resolves {@code fileId} for a read, from a recent lookup where one is kept. */
    public Mono<FileGet.Resolved> resolveForRead(ContentId fileId, Optional<byte[]> fileKey) {
        return get.resolveRecent(fileId, fileKey);
    }

    public Flux<ByteBuffer> read(FileGet.Resolved r, Optional<byte[]> fileKey, long offset, long length) {
        return get.read(r, fileKey, offset, length);
    }

    /** {@code length} bytes of {@code fileId} from {@code offset} (0: to the end), verified. */
    public Flux<ByteBuffer> read(ContentId fileId, Optional<byte[]> fileKey, long offset, long length) {
        return get.read(fileId, fileKey, offset, length);
    }

    /** Asks the holders of {@code file} whether they have its shards now. */
    public Mono<List<FileHealth.Stripe>> health(FileGet.Resolved file) {
        return health.probe(file);
    }

    /** Holders this node's reads caught serving bad bytes. */
    public Set<NodeId> markedHolders() {
        return get.markedHolders();
    }

    public Mono<ManifestIndex.Page> list(int pageSize, String token) {
        return Mono.fromCallable(() -> index.list(pageSize, token)).subscribeOn(blocking);
    }

    /**
     * Who asks for a delete, as the transport knows them.
     *
     * @param proved the node id the caller's TLS certificate proved (the CLI's client key, a node)
     * @param secured whether the call came over TLS: then only a proof or {@code proved} counts
     * @param local whether the caller is on this node's host (or in its process)
     */
    public record Asker(Optional<NodeId> proved, boolean secured, boolean local) {
        public Asker {
            requireNonNull(proved, "proved");
        }
    }

    /**
     * Deletes a file for its owner ({@link FileDelete}); it is no longer listed here. The owner is
     * known by a signature ({@code proof}) or, over TLS, by the key the caller's connection
     * proved: the CLI's client key for files it stored, this node's own key for files put
     * through it. A plaintext or in-process transport proves no one, so there a caller on this
     * node's host (its operator) speaks for the node, as before TLS.
     */
    public Mono<FileDelete.Deleted> delete(ContentId fileId, Optional<OwnerProof> proof, Asker asker) {
        return Mono.defer(() -> {
            NodeId requester;
            if (proof.isPresent()) {
                requester = proof.get().verify(SignedAction.delete(fileId), clock.millis());
            } else if (asker.proved().isPresent()) {
                requester = asker.proved().get();
            } else if (!asker.secured() && asker.local()) {
                requester = self;
            } else {
                throw MeshException.permissionDenied("deleting " + fileId + " needs the owner's signature (FilesDeleteRequest.owner)"
                        + (asker.secured() ? " or a TLS connection with the owner's key (the CLI: shardmesh rm; this node's"
                                + " files: shardmesh --key <data dir>/node.key rm)" : " or a call from this node's own host"));
            }
            return delete.delete(fileId, requester)
                    .flatMap(d -> Mono.fromCallable(() -> {
                        index.markDeleted(fileId, clock.millis());
                        return d;
                    }).subscribeOn(blocking));
        });
    }
}
