package io.shardmesh.server.repair;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.manifest.Manifest;
import io.shardmesh.common.repair.StripeRepair;
import io.shardmesh.common.transfer.FileDeleted;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FileHealth;
import io.shardmesh.common.transfer.Mesh;
import io.shardmesh.server.chunk.ChunkReads;
import io.shardmesh.server.chunk.Pins;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Leaving on purpose: every chunk this node holds for a file goes to another node by the
 * placement rule (with a repair pin) before this node lets go of it, so the file never has fewer
 * live copies than before. The node's own repair pauses meanwhile, and it takes no new chunks or
 * pins (puts and repairs elsewhere place them on other nodes).
 */
final class Drain {

    private final Mesh mesh;
    private final Pins pins;
    private final ChunkReads reads;
    private final FileGet files;
    private final FileHealth health;
    private final StripeRepair repair;
    private final Repairer repairer;
    private final RepairCounters counters;
    private final Logger log;
    private final AtomicBoolean running = new AtomicBoolean();

    Drain(Mesh mesh, Pins pins, ChunkReads reads, FileGet files, FileHealth health, StripeRepair repair, Repairer repairer,
          RepairCounters counters, Logger log) {
        this.mesh = requireNonNull(mesh, "mesh");
        this.pins = requireNonNull(pins, "pins");
        this.reads = requireNonNull(reads, "reads");
        this.files = requireNonNull(files, "files");
        this.health = requireNonNull(health, "health");
        this.repair = requireNonNull(repair, "repair");
        this.repairer = requireNonNull(repairer, "repairer");
        this.counters = requireNonNull(counters, "counters");
        this.log = requireNonNull(log, "log");
    }

    /** Moves everything; reports after each chunk, and fails UNAVAILABLE naming what stayed when not everything moved. */
    Flux<DrainProgress> drain() {
        return Flux.defer(() -> {
            if (!running.compareAndSet(false, true)) {
                return Flux.error(MeshException.failedPrecondition("a drain of this node is already running"));
            }
            repairer.pause(true);
            // Closed before the pins are listed: nothing lands here that the drain would miss.
            return pins.refuseNew("this node is draining: it takes no new chunks or pins")
                    .then(pins.pinnedFileIds())
                    .flatMapMany(ids -> Flux.fromIterable(ids)
                            .concatMap(f -> pins.pinnedChunks(f).flatMap(reads::held).map(held -> Map.entry(f, held)))
                            .collectList()
                            .flatMapMany(this::moveAll))
                    .doFinally(s -> {
                        pins.acceptNew();
                        repairer.pause(false);
                        running.set(false);
                    });
        });
    }

    private Flux<DrainProgress> moveAll(List<Map.Entry<ContentId, List<ContentId>>> held) {
        long total = held.stream().mapToLong(e -> e.getValue().size()).sum();
        int filesTotal = held.size();
        AtomicLong moved = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicInteger filesDone = new AtomicInteger();
        AtomicLong stuck = new AtomicLong();
        Mono<List<Contact>> pool = Mono.defer(() -> mesh.probe(mesh.candidates())).cache();
        log.info("draining: moving {} chunk(s) of {} file(s) to other nodes", total, filesTotal);
        Flux<DrainProgress> steps = Flux.fromIterable(held)
                .concatMap(e -> moveFile(e.getKey(), new HashSet<>(e.getValue()), pool)
                        .map(n -> {
                            moved.addAndGet(n.moved());
                            bytes.addAndGet(n.bytes());
                            counters.bytesWritten.addAndGet(n.bytes());
                            stuck.addAndGet(n.stuck());
                            if (n.stuck() == 0) {
                                filesDone.incrementAndGet();
                            }
                            return new DrainProgress(total, moved.get(), bytes.get(), filesDone.get(), filesTotal, false);
                        }));
        return Flux.concat(Flux.just(new DrainProgress(total, 0, 0, 0, filesTotal, false)), steps, Mono.defer(() -> {
            if (stuck.get() > 0) {
                return Mono.error(MeshException.unavailable("drain moved " + moved.get() + " of " + total + " chunk(s); "
                        + stuck.get() + " could not be placed on another node (too few other live nodes on distinct"
                        + " addresses?) and are still here"));
            }
            log.info("drained: {} chunk(s), {} B moved to other nodes", moved.get(), bytes.get());
            return Mono.just(new DrainProgress(total, moved.get(), bytes.get(), filesDone.get(), filesTotal, true));
        }));
    }

    /** What moving one file's chunks did. */
    private record Moved(long moved, long bytes, long stuck) {
    }

    private Mono<Moved> moveFile(ContentId fileId, Set<ContentId> held, Mono<List<Contact>> pool) {
        return files.resolve(fileId, Optional.empty())
                .flatMap(r -> health.probe(r).zipWith(pool).flatMap(t -> moveStripes(r, held, t.getT1(), t.getT2())))
                .onErrorResume(FileDeleted.class, e -> pins.release(fileId, List.copyOf(held))
                        .thenReturn(new Moved(held.size(), 0, 0)))
                .onErrorResume(e -> {
                    log.warn("drain: file {} could not be moved: {}", fileId, e.getMessage());
                    return Mono.just(new Moved(0, 0, held.size()));
                });
    }

    private Mono<Moved> moveStripes(FileGet.Resolved r, Set<ContentId> held, List<FileHealth.Stripe> stripes,
                                    List<Contact> pool) {
        Manifest m = r.manifest();
        List<Mono<Moved>> steps = new ArrayList<>();
        for (int i = 0; i < m.stripes().size(); i++) {
            int index = i;
            List<ContentId> ids = m.stripes().get(i);
            List<Integer> mine = new ArrayList<>();
            for (int j = 0; j < ids.size(); j++) {
                if (held.contains(ids.get(j))) {
                    mine.add(j);
                }
            }
            if (mine.isEmpty()) {
                continue;
            }
            steps.add(Flux.fromIterable(mine)
                    .concatMap(j -> reads.readWhole(ids.get(j)).map(b -> Map.entry(j, b)))
                    .collectMap(Map.Entry::getKey, Map.Entry::getValue, LinkedHashMap::new)
                    .flatMap(shards -> repair.place(r.fileId(), m, index, shards, stripes.get(index).liveHolders(), pool)
                            .flatMap(p -> release(r.fileId(), p.placed().keySet().stream().map(ids::get).toList())
                                    .thenReturn(new Moved(p.placed().size(), p.bytesWritten(), p.unplaced().size())))));
        }
        if (held.contains(r.fileId())) {
            List<Contact> keepers = r.holders().getOrDefault(r.fileId(), List.of());
            steps.add(reads.readWhole(r.fileId())
                    .flatMap(b -> repair.placeManifest(r.fileId(), b, keepers, 1, pool))
                    .flatMap(p -> p.placed().isEmpty() ? Mono.just(new Moved(0, 0, 1))
                            : release(r.fileId(), List.of(r.fileId())).thenReturn(new Moved(1, p.bytesWritten(), 0))));
        }
        return Flux.concat(steps).reduce(new Moved(0, 0, 0),
                (a, b) -> new Moved(a.moved() + b.moved(), a.bytes() + b.bytes(), a.stuck() + b.stuck()));
    }

    private Mono<Void> release(ContentId fileId, List<ContentId> chunks) {
        if (chunks.isEmpty()) {
            return Mono.empty();
        }
        counters.shardsRepaired.addAndGet(chunks.size());
        return pins.release(fileId, chunks).then();
    }
}
