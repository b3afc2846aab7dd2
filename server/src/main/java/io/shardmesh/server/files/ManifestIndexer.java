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

    /** Lists {@code fileId} if this node now holds its manifest pinned. */
    public Mono<Void> pinsChanged(ContentId fileId) {
        return pins.pinnedChunks(fileId)
                .filter(held -> held.contains(fileId))
                .flatMap(held -> reads.readWhole(fileId))
                .flatMap(bytes -> Mono.fromRunnable(() -> index.add(fileId, ManifestCodec.parse(fileId, bytes), clock.millis()))
                        .subscribeOn(blocking))
                .then();
    }
}
