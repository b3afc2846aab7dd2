package io.shardmesh.server.repair;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.repair.ByteRate;
import io.shardmesh.server.chunk.ChunkReads;
import java.time.Duration;
import org.slf4j.Logger;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Bit-rot scrub: re-hashes every stored chunk from disk at a bounded rate, one pass after
 * another with a pause between. A chunk that no longer matches its id is quarantined by the store,
 * which tells the node (it stops announcing the chunk, and repair rebuilds it elsewhere).
 */
final class Scrubber {

    private final ChunkReads reads;
    private final ByteRate rate;
    private final Duration pause;
    private final Scheduler timer;
    private final RepairCounters counters;
    private final Logger log;

    Scrubber(ChunkReads reads, ByteRate rate, Duration pause, Scheduler timer, RepairCounters counters, Logger log) {
        this.reads = requireNonNull(reads, "reads");
        this.rate = requireNonNull(rate, "rate");
        this.pause = requireNonNull(pause, "pause");
        this.timer = requireNonNull(timer, "timer");
        this.counters = requireNonNull(counters, "counters");
        this.log = requireNonNull(log, "log");
    }

    /** Scrubs pass after pass, each after a pause, until disposed; nothing when the rate is 0 (off). */
    Disposable start() {
        if (rate.bytesPerSecond() == 0) {
            return Disposables.disposed();
        }
        return Mono.delay(pause, timer)
                .then(Mono.defer(this::pass))
                .onErrorResume(e -> {
                    log.warn("scrub pass failed: {}", e.toString());
                    return Mono.empty();
                })
                .repeat()
                .subscribe(x -> { }, e -> log.error("scrub loop ended: {}", e.toString()));
    }

    /** One pass over every stored chunk; emits how many were found corrupt. */
    Mono<Long> pass() {
        return reads.stored()
                .flatMapMany(Flux::fromIterable)
                .concatMap(c -> rate.acquire(c.size()).then(reads.verify(c.id()))
                        .doOnNext(ok -> counters.scrubbed.incrementAndGet())
                        .onErrorResume(e -> {
                            log.warn("scrub could not read {}: {}", c.id(), e.getMessage());
                            return Mono.empty();
                        }))
                .filter(ok -> !ok)
                .count()
                .doOnNext(bad -> {
                    if (bad > 0) {
                        log.warn("scrub pass found {} corrupt chunk(s); they were quarantined and will be rebuilt", bad);
                    }
                });
    }
}
