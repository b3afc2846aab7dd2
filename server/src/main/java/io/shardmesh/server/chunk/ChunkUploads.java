package io.shardmesh.server.chunk;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.SignedAction;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.server.store.ChunkStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Accepts uploads: checks the quota before writing, writes frames as they arrive, and makes a
 * chunk visible only after its size and hash checked out. Disk work runs on the blocking
 * scheduler.
 */
public final class ChunkUploads {

    private final ChunkStore store;
    private final Retention retention;
    private final Pins pins;
    private final ChunkConfig config;
    private final Clock clock;
    private final Scheduler timer;
    private final Scheduler blocking;
    private final Logger log;

    ChunkUploads(ChunkStore store, Retention retention, Pins pins, ChunkConfig config, Clock clock, Scheduler timer,
                 Scheduler blocking, Logger log) {
        this.store = requireNonNull(store, "store");
        this.retention = requireNonNull(retention, "retention");
        this.pins = requireNonNull(pins, "pins");
        this.config = requireNonNull(config, "config");
        this.clock = requireNonNull(clock, "clock");
        this.timer = requireNonNull(timer, "timer");
        this.blocking = requireNonNull(blocking, "blocking");
        this.log = requireNonNull(log, "log");
    }

    /**
     * Stores an upload. A chunk held already is not written again: the result says so and the
     * remaining frames are not read.
     */
    public Mono<PutResult> write(ChunkUpload upload, Flux<ByteBuffer> frames) {
        return Mono.defer(() -> doWrite(upload, frames));
    }

    private Mono<PutResult> doWrite(ChunkUpload upload, Flux<ByteBuffer> frames) {
        ContentId id = upload.chunkId();
        if (upload.size() > config.maxChunkBytes()) {
            return Mono.error(MeshException.invalidArgument("chunk " + id + " of " + upload.size()
                    + " bytes is larger than this node's limit of " + config.maxChunkBytes() + " bytes"));
        }
        if (upload.size() < 0) {
            return Mono.error(MeshException.invalidArgument("chunk size must not be negative, got " + upload.size()));
        }
        pins.checkAccepting();
        long now = clock.millis();
        // Checked before any byte is written, so a forged pin costs the uploader nothing of ours.
        NodeId pinOwner = upload.pinTo()
                .map(p -> p.owner().verify(SignedAction.pin(p.fileId(), List.of(id)), now))
                .orElse(null);
        // The writer is opened inside Mono.using, on the blocking scheduler: a caller that goes
        // away while it is being opened (the transport refused a frame, the client cancelled)
        // still has it closed, so its temp file and quota reservation go at once. Opened in a
        // callable ahead of using(), a writer finished after the cancel was dropped unclosed.
        return Mono.defer(() -> retention.refreshIfStored(id, upload.session()) ? Mono.<Boolean>empty() : Mono.using(
                        () -> store.beginWrite(id, upload.size()),
                        w -> frames.timeout(config.uploadIdleTimeout(), Mono.error(() -> MeshException.deadlineExceeded(
                                        "no data for chunk " + id + " in " + config.uploadIdleTimeout().toSeconds()
                                                + " s; upload abandoned")), timer)
                                .publishOn(blocking, 4)
                                .doOnNext(frame -> {
                                    if (frame.remaining() > ProtocolLimits.MAX_FRAME_BYTES) {
                                        throw MeshException.invalidArgument("a data frame carries " + frame.remaining()
                                                + " bytes; frames are at most " + ProtocolLimits.MAX_FRAME_BYTES);
                                    }
                                    w.write(frame);
                                })
                                .then(Mono.fromCallable(() -> {
                                    boolean stored = w.commit();
                                    retention.arrived(id, upload.session());
                                    if (stored && retention.takeBackIfEnded(id, upload.session(), pins::isPinned)) {
                                        log.info("chunk {} arrived after its upload session {} was aborted; deleted",
                                                id, upload.session().get());
                                    }
                                    return stored;
                                })),
                        ChunkStore.ChunkWriter::close))
                .subscribeOn(blocking)
                .map(stored -> new PutResult(id, upload.size(), !stored))
                .switchIfEmpty(Mono.fromSupplier(() -> new PutResult(id, upload.size(), true)))
                .flatMap(result -> upload.pinTo().isEmpty() ? Mono.just(result)
                        : Mono.fromCallable(() -> {
                            Pins.PinResult pinned = pins.pinHeld(upload.pinTo().get().fileId(), pinOwner, List.of(id), now);
                            if (!pinned.missing().isEmpty()) {
                                throw MeshException.unavailable("chunk " + id + " was collected before it could be pinned; upload it again");
                            }
                            return result;
                        }).subscribeOn(blocking).flatMap(r -> pins.changed(upload.pinTo().get().fileId()).thenReturn(r)));
    }

    /**
     * Ends an upload session: deletes at once what it uploaded that nobody pinned and no other
     * session uploaded, so a failed put holds no space.
     */
    public Mono<AbortResult> abort(String session) {
        return Mono.fromCallable(() -> {
            Retention.Released r = retention.abort(ChunkUpload.checkSession(session), pins::isPinned);
            if (r.chunks() > 0) {
                log.info("upload session {} aborted by its writer: deleted {} unpinned chunk(s), {} bytes",
                        session, r.chunks(), r.bytes());
            }
            return new AbortResult(r.chunks(), r.bytes());
        }).subscribeOn(blocking);
    }

    /** What an abort released. */
    public record AbortResult(int deletedChunks, long freedBytes) {
    }

    /** Outcome of an upload. */
    public record PutResult(ContentId chunkId, long size, boolean alreadyPresent) {
    }
}
