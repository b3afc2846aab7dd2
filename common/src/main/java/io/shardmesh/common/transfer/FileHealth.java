package io.shardmesh.common.transfer;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.common.manifest.Manifest;
import io.shardmesh.common.protocol.ProtocolLimits;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Whether a file's holders have its shards now: every holder its provider records name is
 * asked (HasChunks, short deadline) about the shards it announced. What {@code stat} shows, and
 * what repair will act on: live health, not announcements.
 */
public final class FileHealth {

    /** Holders asked at once. */
    private static final int FAN_OUT = 16;

    private final Mesh mesh;
    private final Logger log;

    public FileHealth(Mesh mesh) {
        this.mesh = requireNonNull(mesh, "mesh");
        this.log = NodeLog.logger(FileHealth.class, mesh.owner().id());
    }

    /**
     * One stripe's health.
     *
     * @param liveHolders per shard, the holders that confirmed it just now
     * @param liveShards shards that count as held: each on a host of its own ({@link Redundancy#spread}),
     *     so two shards on one host, or one chunk standing for two identical shards, count once
     * @param availableShards shards with at least one live holder: the stripe reads while k are
     * @param lossesSurvivable hosts it can still lose in the worst case; -1: unreadable now
     */
    public record Stripe(List<List<Contact>> liveHolders, int liveShards, int availableShards, int lossesSurvivable) {
        public Stripe {
            liveHolders = liveHolders.stream().map(List::copyOf).toList();
        }

        /** The health of a stripe whose shards these holders confirmed. */
        static Stripe of(List<List<Contact>> liveHolders, int k) {
            int matched = (int) Redundancy.spread(liveHolders).stream().filter(java.util.Objects::nonNull).count();
            int available = (int) liveHolders.stream().filter(l -> !l.isEmpty()).count();
            return new Stripe(liveHolders, matched, available, Redundancy.lossesSurvivable(liveHolders, k));
        }
    }

    /** Probes the holders of {@code file}; a holder that does not answer counts as holding nothing. */
    public Mono<List<Stripe>> probe(FileGet.Resolved file) {
        return probe(file, ConcurrentHashMap.newKeySet());
    }

    /**
     * Probes the holders of {@code file} but those in {@code unreachable}, which count as holding
     * nothing; a holder that does not answer is added to it. One set shared across the files of
     * a repair check asks a dead holder once, not once per file at a probe deadline each.
     */
    public Mono<List<Stripe>> probe(FileGet.Resolved file, Set<NodeId> unreachable) {
        return probe(file, IntStream.range(0, file.manifest().stripes().size()).boxed().toList(), unreachable);
    }

    /**
     * Probes the holders of stripe {@code index} of {@code file} only, but those in
     * {@code unreachable} (a repair about to start looks again).
     */
    public Mono<Stripe> probe(FileGet.Resolved file, int index, Set<NodeId> unreachable) {
        return probe(file, List.of(index), unreachable).map(l -> l.get(0));
    }

    /** The health of {@code indexes} of {@code file}'s stripes, in that order. */
    private Mono<List<Stripe>> probe(FileGet.Resolved file, List<Integer> indexes, Set<NodeId> unreachable) {
        Manifest m = file.manifest();
        Map<NodeId, Contact> holders = new LinkedHashMap<>();
        Map<NodeId, Set<ContentId>> announced = new HashMap<>();
        for (int i : indexes) {
            for (ContentId id : m.stripes().get(i)) {
                for (Contact c : file.holders().getOrDefault(id, List.of())) {
                    holders.putIfAbsent(c.id(), c);
                    announced.computeIfAbsent(c.id(), x -> new HashSet<>()).add(id);
                }
            }
        }
        return Flux.fromIterable(holders.values())
                .filter(h -> !unreachable.contains(h.id()))
                .flatMap(h -> confirmed(h, new ArrayList<>(announced.get(h.id())), unreachable)
                        .map(held -> Map.entry(h.id(), held)), FAN_OUT)
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .map(confirmed -> {
                    List<Stripe> out = new ArrayList<>(indexes.size());
                    for (int i : indexes) {
                        List<List<Contact>> live = new ArrayList<>();
                        for (ContentId id : m.stripes().get(i)) {
                            live.add(file.holders().getOrDefault(id, List.of()).stream()
                                    .filter(c -> confirmed.getOrDefault(c.id(), Set.of()).contains(id)).toList());
                        }
                        out.add(Stripe.of(live, m.k()));
                    }
                    return out;
                });
    }

    /** The ones of {@code ids} that {@code holder} confirms holding; none when it does not answer. */
    private Mono<Set<ContentId>> confirmed(Contact holder, List<ContentId> ids, Set<NodeId> unreachable) {
        List<List<ContentId>> batches = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += ProtocolLimits.MAX_BATCH_IDS) {
            batches.add(ids.subList(i, Math.min(ids.size(), i + ProtocolLimits.MAX_BATCH_IDS)));
        }
        return Flux.fromIterable(batches)
                .concatMap(b -> mesh.has(holder, b))
                .collect(HashSet<ContentId>::new, HashSet::addAll)
                .<Set<ContentId>>map(held -> {
                    if (held.size() < ids.size()) {
                        log.info("holder {} announced {} shard(s) it does not hold now (of {} asked about)", holder,
                                ids.size() - held.size(), ids.size());
                    }
                    return held;
                })
                .onErrorResume(e -> {
                    // Debug: repair probes every file's holders on a schedule, and a holder that is gone
                    // stays in provider records until they expire; stat shows the result per shard.
                    log.debug("holder {} did not answer a probe: {}", holder, e.getMessage());
                    unreachable.add(holder.id());
                    return Mono.just(Set.of());
                });
    }
}
