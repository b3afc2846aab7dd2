package io.shardmesh.server.chunk;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.server.store.ChunkStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Deletes chunks no pin references once their grace period has passed ({@link Retention}),
 * every {@link ChunkConfig#gcInterval()} on the timer scheduler, or when asked.
 */
public final class GarbageCollector {

    private final Logger log;
    private final ChunkStore store;
    private final PinStore pins;
    private final Retention retention;
    private final ChunkReads reads;
    private final ChunkConfig config;
    private final Clock clock;
    private final Scheduler blocking;

    GarbageCollector(ChunkStore store, PinStore pins, Retention retention, ChunkReads reads, ChunkConfig config,
                     Clock clock, Scheduler blocking, Logger log) {
        this.store = requireNonNull(store, "store");
        this.pins = requireNonNull(pins, "pins");
        this.retention = requireNonNull(retention, "retention");
        this.reads = requireNonNull(reads, "reads");
        this.config = requireNonNull(config, "config");
        this.clock = requireNonNull(clock, "clock");
        this.blocking = requireNonNull(blocking, "blocking");
        this.log = requireNonNull(log, "log");
    }

    /** Collects every {@link ChunkConfig#gcInterval()} on {@code timer} until disposed. */
    public Disposable start(Scheduler timer) {
        return Flux.interval(config.gcInterval(), config.gcInterval(), timer)
                .onBackpressureDrop()
                .concatMap(t -> collect().onErrorResume(e -> {
                    log.warn("garbage collection failed: {}", e.getMessage());
                    return Mono.empty();
                }), 1)
                .subscribe(r -> { }, e -> log.error("garbage collection timer stopped", e));
    }

    /**
     * Deletes every chunk that no pin references and that arrived more than the grace period ago.
     *
     * @return how many chunks and bytes were collected
     */
    public Mono<GcResult> collect() {
        return Mono.fromCallable(() -> {
            long cutoff = clock.millis() - config.gcGrace().toMillis();
            retention.expireSessions(cutoff);
            Set<ContentId> pinned = pins.pinnedChunks();
            List<ChunkStore.StoredChunk> candidates = new ArrayList<>();
            store.forEach(c -> {
                if (!pinned.contains(c.id()) && retention.arrivedAtMillis(c.id()) < cutoff) {
                    candidates.add(c);
                }
            });
            long chunks = 0;
            long bytes = 0;
            for (ChunkStore.StoredChunk c : candidates) {
                // Checked again under the retention lock: a Pin may have arrived, or the chunk
                // been uploaded again (which restarts its grace period), since the snapshot above.
                if (retention.deleteIfExpired(c.id(), cutoff, pins::isPinned)) {
                    reads.forget(c.id());
                    chunks++;
                    bytes += c.size();
                }
            }
            if (chunks > 0) {
                log.info("garbage collection removed {} unpinned chunk(s), {} bytes", chunks, bytes);
            }
            return new GcResult(chunks, bytes);
        }).subscribeOn(blocking);
    }

    /** Outcome of a garbage collection. */
    public record GcResult(long chunks, long bytes) {
    }
}
