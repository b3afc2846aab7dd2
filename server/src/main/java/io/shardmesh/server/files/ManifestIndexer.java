package io.shardmesh.server.files;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.manifest.ManifestCodec;
import io.shardmesh.server.chunk.ChunkReads;
import io.shardmesh.server.chunk.Pins;
import java.time.Clock;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/** A node that keeps a file's manifest lists the file ({@code Files.List}): told when pins change. */
public final class ManifestIndexer {

    private final Pins pins;
    private final ChunkReads reads;
    private final ManifestIndex index;
    private final Clock clock;
    private final Scheduler blocking;

    public ManifestIndexer(Pins pins, ChunkReads reads, ManifestIndex index, Clock clock, Scheduler blocking) {
        this.pins = requireNonNull(pins, "pins");
        this.reads = requireNonNull(reads, "reads");
        this.index = requireNonNull(index, "index");
        this.clock = requireNonNull(clock, "clock");
        this.blocking = requireNonNull(blocking, "blocking");
    }

    /** Lists {@code fileId} while this node holds its manifest pinned; unlists it when it no longer does. */
    public Mono<Void> pinsChanged(ContentId fileId) {
        return pins.pinnedChunks(fileId).flatMap(held -> held.contains(fileId)
                ? reads.readWhole(fileId).flatMap(bytes -> Mono.fromRunnable(
                        () -> index.add(fileId, ManifestCodec.parse(fileId, bytes), clock.millis(), false)).subscribeOn(blocking))
                : Mono.fromRunnable(() -> index.forgetHeld(fileId)).subscribeOn(blocking)).then();
    }
}
