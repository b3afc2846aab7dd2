package io.shardmesh.server.repair;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.manifest.Manifest;
import io.shardmesh.common.repair.RepairRule;
import io.shardmesh.common.repair.StripeRepair;
import io.shardmesh.common.transfer.FileDeleted;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FileHealth;
import io.shardmesh.common.transfer.Mesh;
import io.shardmesh.server.chunk.ChunkReads;
import io.shardmesh.server.chunk.Pins;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The repair loop of one node (DESIGN.md, "Repair"; the rule in {@link RepairRule}). Every
 * repair interval, with jitter, it checks each file it holds shards of: the file's provider
 * records and a HasChunks probe of every holder give each stripe's live shards. A stripe it holds
 * a shard of that is due is repaired here when this node comes first in the stripe's repair
 * order (or the ones before it have had their back-offs); surplus copies it holds are dropped; a
 * file its owner deleted is let go. The manifest's copies are kept the same way by the nodes that
 * keep one.
 */
public final class Repairer {

    /** A stripe of a file; stripe -1 is the file's manifest. */
    record StripeKey(ContentId fileId, int stripe) {
    }

    /** A stripe to repair now, and why. */
    private record Task(ContentId fileId, Manifest manifest, int stripe, List<Contact> manifestKeepers, String why,
                        Set<NodeId> unreachable) {
    }

    /** What one check of every file found and did. */
    public record Check(int files, int due, int repaired, int failed) {
    }

    /** Files checked at once: each check is a lookup and a probe of the file's holders, mostly waiting. */
    static final int FILES_AT_ONCE = 4;
    /** The shortest back-off between two holders in a stripe's repair order. */
    static final Duration MIN_BACKOFF = Duration.ofSeconds(30);

    private final NodeId self;
    private final Mesh mesh;
    private final Pins pins;
    private final ChunkReads reads;
    private final FileGet files;
    private final FileHealth health;
    private final StripeRepair repair;
    private final RepairConfig config;
    private final int manifestReplicas;
    private final Clock clock;
    private final Scheduler timer;
    private final Logger log;
    private final RepairCounters counters;
    private final Random jitter;
    private final Map<StripeKey, Long> degradedSince = new ConcurrentHashMap<>();
    /** The shards found missing at the last check: a loss that is not the same one restarts the clocks. */
    private final Map<StripeKey, Set<Integer>> missingAtLastCheck = new ConcurrentHashMap<>();
    private final Map<StripeKey, Long> dueSince = new ConcurrentHashMap<>();
    private final Map<StripeKey, Long> surplusSince = new ConcurrentHashMap<>();
    private final Set<StripeKey> reportedLost = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean checking = new AtomicBoolean();
    private volatile boolean paused;

    Repairer(NodeId self, Mesh mesh, Pins pins, ChunkReads reads,
             FileGet files, FileHealth health, StripeRepair repair, RepairConfig config, int manifestReplicas,
             Clock clock, Scheduler timer, RepairCounters counters, Logger log) {
        this.self = requireNonNull(self, "self");
        this.mesh = requireNonNull(mesh, "mesh");
        this.pins = requireNonNull(pins, "pins");
        this.reads = requireNonNull(reads, "reads");
        this.files = requireNonNull(files, "files");
        this.health = requireNonNull(health, "health");
        this.repair = requireNonNull(repair, "repair");
        this.config = requireNonNull(config, "config");
        this.manifestReplicas = manifestReplicas;
        this.clock = requireNonNull(clock, "clock");
        this.timer = requireNonNull(timer, "timer");
        this.counters = requireNonNull(counters, "counters");
        this.log = requireNonNull(log, "log");
        // Seeded by the node id: nodes spread their checks, and a test run repeats itself.
        this.jitter = new Random(self.hashCode());
    }

    /** Checks every repair interval (±10%) until disposed. */
    Disposable start() {
        return Mono.defer(() -> Mono.delay(jittered(), timer))
                .then(Mono.defer(this::checkNow))
                .onErrorResume(e -> {
                    log.warn("repair check failed: {}", e.toString());
                    return Mono.empty();
                })
                .repeat()
                .subscribe(x -> { }, e -> log.error("repair loop ended: {}", e.toString()));
    }

    private Duration jittered() {
        long base = config.interval().toMillis();
        long spread = base / 10;
        synchronized (jitter) {
            return Duration.ofMillis(base - spread + (spread == 0 ? 0 : (long) (jitter.nextDouble() * 2 * spread)));
        }
    }

    /** While paused (a drain runs) the node repairs and drops nothing. */
    void pause(boolean paused) {
        this.paused = paused;
    }

    /**
     * One check of every file this node holds chunks of, with the repairs it calls for; a check
     * asked for while one runs does nothing (the running one covers it).
     */
    public Mono<Check> checkNow() {
        return Mono.defer(() -> {
            if (paused || !checking.compareAndSet(false, true)) {
                return Mono.just(new Check(0, 0, 0, 0));
            }
            Mono<List<Contact>> pool = Mono.defer(() -> mesh.probe(mesh.candidates())).cache();
            Set<ContentId> seen = ConcurrentHashMap.newKeySet();
            // A holder that does not answer is asked once per check, not once per file it holds.
            Set<NodeId> unreachable = ConcurrentHashMap.newKeySet();
            int[] tally = new int[3];
            return pins.pinnedFileIds()
                    .flatMapMany(Flux::fromIterable)
                    .doOnNext(seen::add)
                    .flatMap(f -> tasks(f, unreachable).onErrorResume(e -> {
                        log.info("repair check of {} failed: {}", f, e.getMessage());
                        return Flux.empty();
                    }), FILES_AT_ONCE)
                    .doOnNext(t -> {
                        counters.queued.incrementAndGet();
                        tally[0]++;
                    })
                    .flatMap(t -> run(t, pool).doOnNext(ok -> tally[ok ? 1 : 2]++), config.concurrency())
                    .then(Mono.fromSupplier(() -> {
                        forgetOthers(seen);
                        return new Check(seen.size(), tally[0], tally[1], tally[2]);
                    }))
                    .doOnError(e -> log.warn("repair check ended early: {}", e.toString()))
                    .doFinally(s -> {
                        // Also after a failed check: status shows when the node last looked, whatever it found.
                        counters.lastCheck.set(clock.millis());
                        checking.set(false);
                    });
        });
    }

    /** Checks one file now (a chunk of it went bad here), outside the schedule. */
    Mono<Void> checkFile(ContentId fileId) {
        Mono<List<Contact>> pool = Mono.defer(() -> mesh.probe(mesh.candidates())).cache();
        return tasks(fileId, ConcurrentHashMap.newKeySet())
                .doOnNext(t -> counters.queued.incrementAndGet())
                .flatMap(t -> run(t, pool), config.concurrency())
                .then();
    }

    private void forgetOthers(Set<ContentId> held) {
        degradedSince.keySet().removeIf(k -> !held.contains(k.fileId()));
        missingAtLastCheck.keySet().removeIf(k -> !held.contains(k.fileId()));
        dueSince.keySet().removeIf(k -> !held.contains(k.fileId()));
        surplusSince.keySet().removeIf(k -> !held.contains(k.fileId()));
        reportedLost.removeIf(k -> !held.contains(k.fileId()));
    }

    /** What this node should repair of {@code fileId} now; drops surplus copies and deleted files on the way. */
    private Flux<Task> tasks(ContentId fileId, Set<NodeId> unreachable) {
        // A file first pinned here moments ago may still be in its put's pin phase: the holders
        // pinned so far announce it and the others not yet, which looks like missing shards. (The
        // first pin, not the newest: a holder that just took a repaired shard of a file it has
        // held for long must not stop watching the file's other stripes.) A file this node first
        // pinned for a repair has no put going on here: a second repair it needs starts at once.
        return pins.firstPinAt(fileId).flatMapMany(at -> clock.millis() - at < MIN_BACKOFF.toMillis()
                && !pins.adoptedByRepair(fileId) ? Flux.empty() : checkedTasks(fileId, unreachable));
    }

    private Flux<Task> checkedTasks(ContentId fileId, Set<NodeId> unreachable) {
        return pins.pinnedChunks(fileId)
                .flatMap(reads::held)
                .flatMapMany(held -> held.isEmpty() ? Flux.empty() : files.resolve(fileId, Optional.empty())
                        .flatMapMany(r -> health.probe(r, unreachable)
                                .flatMapMany(stripes -> decide(r, new HashSet<>(held), stripes, unreachable)))
                        .onErrorResume(FileDeleted.class, e -> pins.release(fileId, held).doOnNext(n ->
                                log.info("file {} was deleted by its owner: no longer keeping its {} chunk(s) here",
                                        fileId, held.size())).thenMany(Flux.empty())));
    }

    private Flux<Task> decide(FileGet.Resolved r, Set<ContentId> held, List<FileHealth.Stripe> stripes,
                              Set<NodeId> unreachable) {
        Manifest m = r.manifest();
        long now = clock.millis();
        List<Task> due = new ArrayList<>();
        List<ContentId> drop = new ArrayList<>();
        for (int i = 0; i < stripes.size(); i++) {
            List<ContentId> ids = m.stripes().get(i);
            if (ids.stream().noneMatch(held::contains)) {
                continue;
            }
            FileHealth.Stripe h = stripes.get(i);
            StripeKey key = new StripeKey(r.fileId(), i);
            if (h.liveShards() == ids.size()) {
                degradedSince.remove(key);
                dueSince.remove(key);
                missingAtLastCheck.remove(key);
                reportedLost.remove(key);
                List<ContentId> surplus = RepairRule.surplus(self, ids, h.liveHolders()).stream().filter(held::contains).toList();
                if (surplus.isEmpty()) {
                    surplusSince.remove(key);
                } else if (now - surplusSince.computeIfAbsent(key, x -> now) >= surplusWait().toMillis()) {
                    drop.addAll(surplus);
                    surplusSince.remove(key);
                }
                continue;
            }
            surplusSince.remove(key);
            if (h.availableShards() < m.k()) {
                counters.unrecoverable.incrementAndGet();
                if (reportedLost.add(key)) {
                    log.error("stripe {} of {} has {} of the {} shards needed to rebuild it: it cannot be repaired"
                            + " until more of its holders come back", i, r.fileId(), h.availableShards(), m.k());
                }
                continue;
            }
            // Another node may have repaired the stripe between two of this node's checks, and a
            // later loss is then a new one: its delay and back-offs start now, not at the old loss.
            Set<Integer> missingNow = Set.copyOf(RepairRule.missing(h.liveHolders()));
            Set<Integer> before = missingAtLastCheck.put(key, missingNow);
            if (before != null && !missingNow.containsAll(before)) {
                degradedSince.remove(key);
                dueSince.remove(key);
            }
            long degraded = degradedSince.computeIfAbsent(key, x -> now);
            if (!RepairRule.due(h.liveShards(), m.k(), m.m(), degraded, now, config.delay())) {
                continue;
            }
            long dueAt = dueSince.computeIfAbsent(key, x -> now);
            int rank = RepairRule.rank(self, ids.get(0), h.liveHolders());
            if (!RepairRule.repairsNow(rank, dueAt, now, backoff())) {
                log.debug("stripe {} of {} is due; {} holder(s) come before this one", i, r.fileId(), rank);
                continue;
            }
            String why = h.liveShards() <= RepairRule.urgentAt(m.k(), m.m())
                    ? "only " + h.liveShards() + " of " + ids.size() + " shards left"
                    : (ids.size() - h.liveShards()) + " shard(s) missing for " + (now - degraded) / 1000 + " s";
            if (rank > 0) {
                why += "; taking over after " + rank + " back-off(s)";
            }
            due.add(new Task(r.fileId(), m, i, List.of(), why, unreachable));
        }
        Mono<Void> drops = drop.isEmpty() ? Mono.empty() : pins.release(r.fileId(), drop).doOnNext(n -> {
            counters.surplusDropped.addAndGet(drop.size());
            log.info("file {}: dropped {} surplus cop(ies) here (a closer holder has each)", r.fileId(), drop.size());
        }).then();
        Mono<List<Task>> manifest = held.contains(r.fileId()) ? manifestTask(r, now, unreachable) : Mono.just(List.of());
        return drops.then(manifest).flatMapIterable(t -> {
            List<Task> all = new ArrayList<>(due);
            all.addAll(t);
            return all;
        });
    }

    /**
     * How long each holder after the first waits for the ones before it: one repair interval, and
     * at least {@link #MIN_BACKOFF}, since one check and repair take seconds (a dead holder costs a
     * probe deadline) and with short intervals the next holders would otherwise repair alongside.
     */
    private Duration backoff() {
        return config.interval().compareTo(MIN_BACKOFF) > 0 ? config.interval() : MIN_BACKOFF;
    }

    /** Surplus copies are dropped only once they have lasted this long: never the copy a drain or repair is handing over. */
    private Duration surplusWait() {
        return config.delay().compareTo(config.interval()) > 0 ? config.delay() : config.interval();
    }

    /** The manifest's copies: kept on {@code manifestReplicas} live nodes by the nodes that keep one. */
    private Mono<List<Task>> manifestTask(FileGet.Resolved r, long now, Set<NodeId> unreachable) {
        List<Contact> announced = r.holders().getOrDefault(r.fileId(), List.of());
        return Flux.fromIterable(announced)
                .filter(c -> !unreachable.contains(c.id()))
                .flatMap(c -> mesh.has(c, List.of(r.fileId())).map(h -> h.isEmpty() ? List.<Contact>of() : List.of(c))
                        .onErrorResume(e -> {
                            unreachable.add(c.id());
                            return Mono.just(List.of());
                        }))
                .flatMapIterable(l -> l)
                .collectList()
                .map(live -> {
                    StripeKey key = new StripeKey(r.fileId(), -1);
                    int wanted = manifestReplicas;
                    if (live.size() >= wanted) {
                        degradedSince.remove(key);
                        dueSince.remove(key);
                        return List.<Task>of();
                    }
                    long degraded = degradedSince.computeIfAbsent(key, x -> now);
                    if (live.size() > 1 && now - degraded < config.delay().toMillis()) {
                        return List.<Task>of();
                    }
                    long dueAt = dueSince.computeIfAbsent(key, x -> now);
                    int rank = RepairRule.rank(self, r.fileId(), List.of(live));
                    if (!RepairRule.repairsNow(rank, dueAt, now, backoff())) {
                        return List.<Task>of();
                    }
                    return List.of(new Task(r.fileId(), r.manifest(), -1, live,
                            "only " + live.size() + " of " + wanted + " manifest copies left", unreachable));
                });
    }

    /**
     * The stripe's health right before its repair: a task may wait behind others for a while
     * (a mass departure queues many), and another holder may have repaired the stripe meanwhile,
     * its new holders announcing the shards since this node's check. Rebuilding from the check's
     * findings would place a second copy of every shard repaired elsewhere. Holders that did not
     * answer in the check are not asked again (each would cost a probe deadline per repair).
     */
    private Mono<FileHealth.Stripe> stripeNow(Task t) {
        return files.resolve(t.fileId(), Optional.empty()).flatMap(r -> health.probe(r, t.stripe(), t.unreachable()));
    }

    /** Runs one repair; emits whether everything it set out to place was placed. */
    private Mono<Boolean> run(Task t, Mono<List<Contact>> pool) {
        return Mono.defer(() -> {
            counters.queued.decrementAndGet();
            if (paused) {
                return Mono.just(false);
            }
            counters.running.incrementAndGet();
            Mono<StripeRepair.Placed> work = t.stripe() < 0
                    ? reads.readWhole(t.fileId()).zipWith(pool).flatMap(bp -> repair.placeManifest(t.fileId(), bp.getT1(),
                            t.manifestKeepers(), manifestReplicas - t.manifestKeepers().size(), bp.getT2()))
                    : stripeNow(t).flatMap(h -> pool.flatMap(p -> repair.rebuild(t.fileId(), t.manifest(), t.stripe(), h, p)));
            return work.map(placed -> {
                        counters.bytesFetched.addAndGet(placed.bytesFetched());
                        counters.bytesWritten.addAndGet(placed.bytesWritten());
                        counters.shardsRepaired.addAndGet(placed.placed().size());
                        String where = placed.placed().entrySet().stream()
                                .map(e -> (t.stripe() < 0 ? "copy" : "shard " + e.getKey()) + " on " + e.getValue())
                                .collect(Collectors.joining(", "));
                        String what = t.stripe() < 0 ? "manifest" : "stripe " + t.stripe();
                        if (!placed.unplaced().isEmpty()) {
                            counters.failed.incrementAndGet();
                            log.warn("repair of {} of {} ({}): placed {}; {} could not be placed (no free node took them);"
                                    + " retrying at the next check", what, t.fileId(), t.why(),
                                    where.isEmpty() ? "nothing" : where, placed.unplaced().size());
                            return false;
                        }
                        counters.done.incrementAndGet();
                        StripeKey key = new StripeKey(t.fileId(), t.stripe());
                        degradedSince.remove(key);
                        dueSince.remove(key);
                        log.info("repaired {} of {} ({}): {}; fetched {} B, wrote {} B", what, t.fileId(), t.why(),
                                where.isEmpty() ? "nothing was missing any more" : where, placed.bytesFetched(),
                                placed.bytesWritten());
                        return true;
                    })
                    .onErrorResume(e -> {
                        counters.failed.incrementAndGet();
                        log.warn("repair of stripe {} of {} ({}) failed: {}; retrying at the next check", t.stripe(),
                                t.fileId(), t.why(), e.getMessage());
                        return Mono.just(false);
                    })
                    .doFinally(s -> counters.running.decrementAndGet());
        });
    }
}
