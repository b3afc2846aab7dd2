package io.shardmesh.common.repair;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtNetworkSuite;
import io.shardmesh.common.dht.Lookup;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Where the durability simulation asks the DHT which nodes are closest to a shard id: a real
 * iterative {@code FindNode} lookup ({@link io.shardmesh.common.dht.Kademlia#lookupNode}) over
 * the in-memory network, whose answer is kept per shard id and used again for later placements
 * of the same shard for as long as a new lookup could not answer differently.
 *
 * <p>Why keep answers: a simulated year repairs the same few thousand shard ids hundreds of
 * thousands of times, and one lookup costs about a millisecond of CPU in the in-memory network,
 * so a lookup per repair would take minutes. The DHT membership only changes when a node leaves
 * for good ({@code kill}) or a new one joins (temporary absences are modelled outside the DHT,
 * see {@link ChurnSimulation}), so an answer goes stale only then, and only near the nodes that
 * changed:
 * <ul>
 *   <li>a node that left for good is struck from every kept answer (a store to it would fail,
 *       and the placer would go on to the next candidate: what a fresh answer would give,
 *       unless too few are left, see below);</li>
 *   <li>a node that joins closer to the shard id than the farthest node of a kept answer
 *       invalidates it: a fresh lookup would return the newcomer;</li>
 *   <li>an answer with fewer than half of its nodes left, or kept from a lookup by another node
 *       that would itself be in a fresh answer (a lookup never returns its caller), is looked up
 *       again.</li>
 * </ul>
 * Every {@code spotCheckEvery}-th use of a kept answer also runs a fresh lookup and compares
 * the placement decision made from both ({@link #spotChecks()}, {@link #spotCheckAgreements()}).
 */
final class LookupAnswers {

    private record Answer(List<Contact> nodes, NodeId origin, NodeId farthest, boolean full) {
    }

    private final int k;
    private final int spotCheckEvery;
    private final Map<ContentId, Answer> kept = new HashMap<>();
    private final Set<NodeId> gone = new HashSet<>();
    private long lookups;
    private long reused;
    private long spotChecks;
    private long spotCheckAgreements;
    private long lookupNanos;

    /**
     * @param k the DHT's bucket size (a full answer has k nodes)
     * @param spotCheckEvery every how many uses of a kept answer a fresh lookup checks it
     */
    LookupAnswers(int k, int spotCheckEvery) {
        this.k = k;
        this.spotCheckEvery = spotCheckEvery;
    }

    /**
     * The node {@code choose} picks for {@code shard} from the nodes closest to it, as seen by
     * {@code placer}.
     *
     * @param choose the placement decision over a lookup's answer (filters out nodes it cannot
     *     use, applies {@link io.shardmesh.common.transfer.Placement#rank})
     */
    Optional<Contact> place(DhtNetworkSuite.Member placer, ContentId shard,
                            Function<List<Contact>, Optional<Contact>> choose) {
        NodeId self = placer.kademlia().id();
        Answer a = kept.get(shard);
        if (a == null || a.nodes.size() < (k + 1) / 2 || !a.origin.equals(self) && !gone.contains(a.origin)
                && wouldContain(a, shard, a.origin)) {
            return choose.apply(lookup(placer, shard).nodes);
        }
        reused++;
        List<Contact> nodes = a.nodes;
        if (!a.origin.equals(self)) {
            // A lookup never returns its caller: the placer sees the answer without itself.
            nodes = new ArrayList<>(a.nodes);
            nodes.removeIf(c -> c.id().equals(self));
        }
        Optional<Contact> pick = choose.apply(nodes);
        if (spotCheckEvery > 0 && reused % spotCheckEvery == 0) {
            Optional<Contact> fresh = choose.apply(lookup(placer, shard).nodes);
            spotChecks++;
            if (fresh.equals(pick)) {
                spotCheckAgreements++;
            }
            return fresh;
        }
        return pick;
    }

    private Answer lookup(DhtNetworkSuite.Member placer, ContentId shard) {
        long started = System.nanoTime();
        Lookup.Result r = placer.kademlia().lookupNode(shard).block(Duration.ofSeconds(60));
        lookupNanos += System.nanoTime() - started;
        lookups++;
        List<Contact> nodes = new ArrayList<>(r.closest());
        nodes.sort((x, y) -> shard.compareDistance(x.id(), y.id()));
        NodeId farthest = nodes.isEmpty() ? null : nodes.get(nodes.size() - 1).id();
        Answer a = new Answer(nodes, placer.kademlia().id(), farthest, nodes.size() >= k);
        kept.put(shard, a);
        return a;
    }

    private static boolean wouldContain(Answer a, ContentId shard, NodeId node) {
        return !a.full || shard.compareDistance(node, a.farthest) < 0;
    }

    /** {@code node} left for good: it answers no more lookups. */
    void departed(NodeId node) {
        gone.add(node);
        for (Answer a : kept.values()) {
            a.nodes.removeIf(c -> c.id().equals(node));
        }
    }

    /** {@code node} joined: kept answers it would now be part of are looked up again when next used. */
    void joined(NodeId node) {
        Iterator<Map.Entry<ContentId, Answer>> it = kept.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<ContentId, Answer> e = it.next();
            if (wouldContain(e.getValue(), e.getKey(), node)) {
                it.remove();
            }
        }
    }

    /** Real lookups run so far (spot checks included). */
    long lookups() {
        return lookups;
    }

    /** Placements that used a kept answer. */
    long reused() {
        return reused;
    }

    long spotChecks() {
        return spotChecks;
    }

    long spotCheckAgreements() {
        return spotCheckAgreements;
    }

    /** Wall time spent in real lookups. */
    Duration lookupTime() {
        return Duration.ofNanos(lookupNanos);
    }
}
