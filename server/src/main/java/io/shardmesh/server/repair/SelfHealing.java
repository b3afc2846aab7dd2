package io.shardmesh.server.repair;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.common.repair.ByteRate;
import io.shardmesh.common.repair.StripeRepair;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FileHealth;
import io.shardmesh.common.transfer.Mesh;
import io.shardmesh.server.chunk.ChunkReads;
import io.shardmesh.server.chunk.Pins;
import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A node's self-healing, the parts built together: the repair loop, repair pins, the scrub and
 * drain, sharing one repair rate and one set of counters. Entry point of the repair feature.
 */
public final class SelfHealing implements AutoCloseable {

    private final Logger log;
    private final Pins pins;
    private final Repairer repairer;
    private final Scrubber scrubber;
    private final Drain drain;
    private final RepairPins repairPins;
    private final RepairCounters counters = new RepairCounters();
    private final Disposable.Composite running = Disposables.composite();

    /**
     * @param cpu where stripes are rebuilt
     * @param timer where the schedules and rate bounds wait
     */
    public SelfHealing(NodeId self, Mesh mesh, Pins pins, ChunkReads reads, FileGet files, FileHealth health,
                       RepairConfig config, int manifestReplicas, Clock clock, Scheduler cpu, Scheduler timer) {
        requireNonNull(config, "config");
        this.log = NodeLog.logger(SelfHealing.class, self);
        this.pins = requireNonNull(pins, "pins");
        StripeRepair repair = new StripeRepair(mesh, cpu, new ByteRate(config.bytesPerSecond(), clock, timer));
        this.repairer = new Repairer(self, mesh, pins, reads, files, health, repair, config, manifestReplicas, clock, timer,
                counters, log);
        this.scrubber = new Scrubber(reads, new ByteRate(config.scrubBytesPerSecond(), clock, timer), config.scrubPause(),
                timer, counters, log);
        this.drain = new Drain(mesh, pins, reads, files, health, repair, repairer, counters, log);
        this.repairPins = new RepairPins(pins, id -> files.resolve(id, Optional.empty()), clock, log);
    }

    /** Starts the repair and scrub schedules. */
    public void start() {
        running.add(repairer.start());
        running.add(scrubber.start());
    }

    /**
     * A chunk failed its hash check and the store quarantined it: the node stops announcing it
     * (so other holders see it missing) and checks its files now.
     */
    public void quarantined(ContentId chunk) {
        counters.quarantined.incrementAndGet();
        running.add(pins.releaseEverywhere(chunk)
                .doOnNext(files -> log.warn("chunk {} failed its hash check and was quarantined; no longer announcing it"
                        + " for {} file(s), so that repair rebuilds it", chunk, files.size()))
                .flatMapMany(Flux::fromIterable)
                .concatMap(f -> repairer.checkFile(f).onErrorResume(e -> Mono.empty()))
                .subscribe(x -> { }, e -> log.warn("acting on quarantined chunk {} failed: {}", chunk, e.toString())));
    }

    /** One repair check of every file held here, now (as the schedule runs it). */
    public Mono<Repairer.Check> checkNow() {
        return repairer.checkNow();
    }

    /** One scrub pass now; emits how many chunks were corrupt. */
    public Mono<Long> scrubNow() {
        return scrubber.pass();
    }

    /** Moves every chunk held here to other nodes; progress after each file. */
    public Flux<DrainProgress> drain() {
        return drain.drain();
    }

    /** Repair pins, checked against the file's manifest and tombstones. */
    public RepairPins repairPins() {
        return repairPins;
    }

    public RepairStatus status() {
        return counters.snapshot();
    }

    @Override
    public void close() {
        running.dispose();
    }
}
