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
     * @param liveShards shards with at least one live holder
     * @param lossesSurvivable holders it can still lose in the worst case; -1: unreadable now
     */
    public record Stripe(List<List<Contact>> liveHolders, int liveShards, int lossesSurvivable) {
        public Stripe {
            liveHolders = liveHolders.stream().map(List::copyOf).toList();
        }
    }

    /** Probes the holders of {@code file}; a holder that does not answer counts as holding nothing. */
    public Mono<List<Stripe>> probe(FileGet.Resolved file) {
        Manifest m = file.manifest();
        Map<NodeId, Contact> holders = new LinkedHashMap<>();
        Map<NodeId, Set<ContentId>> announced = new HashMap<>();
        for (List<ContentId> stripe : m.stripes()) {
            for (ContentId id : stripe) {
                for (Contact c : file.holders().getOrDefault(id, List.of())) {
                    holders.putIfAbsent(c.id(), c);
                    announced.computeIfAbsent(c.id(), x -> new HashSet<>()).add(id);
                }
            }
        }
        return Flux.fromIterable(holders.values())
                .flatMap(h -> confirmed(h, new ArrayList<>(announced.get(h.id())))
                        .map(held -> Map.entry(h.id(), held)), FAN_OUT)
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .map(confirmed -> {
                    List<Stripe> out = new ArrayList<>(m.stripes().size());
                    for (List<ContentId> stripe : m.stripes()) {
                        List<List<Contact>> live = new ArrayList<>();
                        List<Contact> onePerShard = new ArrayList<>();
                        int liveShards = 0;
                        for (ContentId id : stripe) {
                            List<Contact> l = file.holders().getOrDefault(id, List.of()).stream()
                                    .filter(c -> confirmed.getOrDefault(c.id(), Set.of()).contains(id)).toList();
                            live.add(l);
                            if (!l.isEmpty()) {
                                liveShards++;
                            }
                            onePerShard.add(l.isEmpty() ? null : l.get(0));
                        }
                        out.add(new Stripe(live, liveShards, Redundancy.lossesSurvivable(onePerShard, m.k())));
                    }
                    return out;
                });
    }

    /** The ones of {@code ids} that {@code holder} confirms holding; none when it does not answer. */
    private Mono<Set<ContentId>> confirmed(Contact holder, List<ContentId> ids) {
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
                    return Mono.just(Set.of());
                });
    }
}
