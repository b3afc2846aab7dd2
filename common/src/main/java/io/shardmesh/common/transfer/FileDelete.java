package io.shardmesh.common.transfer;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The delete pipeline: the owner's tombstone at the nodes closest to the file id (readers and
 * listers stop seeing the file), then an owner-signed Unpin on every holder that announces the
 * file (its shards are collected after the grace period). Only the file's owner may delete it,
 * and only through a mesh whose key is the owner's: that key signs the tombstone and the unpins.
 */
public final class FileDelete {

    /** Unpins in flight at once. */
    private static final int FAN_OUT = 8;

    /** What a delete reached. */
    public record Deleted(int holdersUnpinned, int holdersUnreachable) {
    }

    private final Mesh mesh;
    private final FileGet get;

    public FileDelete(Mesh mesh, FileGet get) {
        this.mesh = requireNonNull(mesh, "mesh");
        this.get = requireNonNull(get, "get");
    }

    /**
     * Deletes {@code fileId} on behalf of {@code requester}, who must be its owner.
     *
     * @throws MeshException (as the Mono's error) PERMISSION_DENIED when the requester is not the
     *     owner, or the owner is not this mesh's key; NOT_FOUND when nobody announces the file
     */
    public Mono<Deleted> delete(ContentId fileId, NodeId requester) {
        return mesh.records(fileId).flatMap(records -> get.resolve(fileId, Optional.empty()).flatMap(r -> {
            NodeId owner = r.manifest().ownerId();
            if (!owner.equals(requester)) {
                return Mono.error(MeshException.permissionDenied("file " + fileId + " belongs to " + owner + "; "
                        + requester + " may not delete it"));
            }
            if (!owner.equals(mesh.owner().id())) {
                return Mono.error(MeshException.permissionDenied("file " + fileId + " is owned by " + owner
                        + "; delete it through that key's node or client (only it can sign the tombstone)"));
            }
            Map<NodeId, Contact> holders = new LinkedHashMap<>();
            for (DhtRecord rec : records) {
                if (rec.payload() instanceof DhtRecord.Provider p) {
                    holders.put(p.holder().id(), p.holder());
                }
            }
            Mono<List<Boolean>> unpins = Flux.fromIterable(holders.values())
                    .flatMap(h -> mesh.unpin(h, fileId).map(n -> true).onErrorResume(e -> Mono.just(false)), FAN_OUT)
                    .collectList();
            return mesh.publish(fileId, new DhtRecord.Tombstone(owner))
                    .then(unpins)
                    .map(results -> {
                        int ok = (int) results.stream().filter(b -> b).count();
                        return new Deleted(ok, results.size() - ok);
                    });
        }));
    }
}
