package io.shardmesh.server.repair;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.OwnerProof;
import io.shardmesh.common.crypto.SignedAction;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.transfer.FileDeleted;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.server.chunk.Pins;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import reactor.core.publisher.Mono;

/**
 * Repair pins (PinRequest with {@code repair}, the rule in {@code chunks.proto}): a node that is
 * not a file's owner may pin its chunks here on the owner's behalf, only chunks the file's
 * verified manifest lists, and only while the owner has not deleted the file. The pin is the
 * owner's, so the owner's delete removes it.
 */
public final class RepairPins {

    private final Pins pins;
    private final Function<ContentId, Mono<FileGet.Resolved>> resolve;
    private final Clock clock;
    private final Logger log;

    /** @param resolve finds a file's verified manifest and fails with {@link FileDeleted} once its owner deleted it */
    public RepairPins(Pins pins, Function<ContentId, Mono<FileGet.Resolved>> resolve, Clock clock, Logger log) {
        this.pins = requireNonNull(pins, "pins");
        this.resolve = requireNonNull(resolve, "resolve");
        this.clock = requireNonNull(clock, "clock");
        this.log = requireNonNull(log, "log");
    }

    /** Checks the repairer's signature and the rule, then pins the held ones of {@code chunks} as the owner's. */
    public Mono<Pins.PinResult> pin(ContentId fileId, List<ContentId> chunks, OwnerProof repairer) {
        return Mono.defer(() -> {
            NodeId signer = repairer.verify(SignedAction.repairPin(fileId, chunks), clock.millis());
            return resolve.apply(fileId)
                    .onErrorMap(FileDeleted.class, e -> MeshException.permissionDenied("file " + fileId
                            + " was deleted by its owner: its chunks may not be repaired"))
                    .flatMap(r -> {
                        Set<ContentId> listed = new HashSet<>(r.manifest().allChunkIds());
                        listed.add(fileId);
                        for (ContentId c : chunks) {
                            if (!listed.contains(c)) {
                                return Mono.error(MeshException.permissionDenied("chunk " + c + " is not part of file "
                                        + fileId + ": a repair pin may keep only what the file's manifest lists"));
                            }
                        }
                        NodeId owner = r.manifest().ownerId();
                        log.debug("repair pin of {} chunk(s) of {} by {} for owner {}", chunks.size(), fileId, signer, owner);
                        return pins.pinAuthorized(fileId, owner, chunks);
                    });
        });
    }
}
