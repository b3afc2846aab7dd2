package io.shardmesh.common.transfer;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a shard goes: the node closest (XOR) to the shard's id that holds no other shard of the
 * same stripe. With fewer nodes than shards per stripe, the least-loaded nodes of the stripe
 * are reused, closest first, so shards spread evenly.
 */
public final class Placement {

    private Placement() {
    }

    /**
     * Candidates for {@code shard}, best first: nodes not used in the stripe (closest first), then
     * the used ones by how few shards of the stripe they already hold.
     */
    public static List<Contact> rank(ContentId shard, Collection<Contact> nodes, Map<NodeId, Integer> usedInStripe,
                                     Set<NodeId> excluded) {
        List<Contact> fresh = new ArrayList<>();
        List<Contact> used = new ArrayList<>();
        for (Contact c : nodes) {
            if (excluded.contains(c.id())) {
                continue;
            }
            (usedInStripe.containsKey(c.id()) ? used : fresh).add(c);
        }
        fresh.sort((a, b) -> shard.compareDistance(a.id(), b.id()));
        used.sort((a, b) -> {
            int c = Integer.compare(usedInStripe.get(a.id()), usedInStripe.get(b.id()));
            return c != 0 ? c : shard.compareDistance(a.id(), b.id());
        });
        fresh.addAll(used);
        return fresh;
    }

    /**
     * {@code nodes} with one contact per node id and per address ({@code host:port}), first
     * seen kept: two entries for one id are one node, and two ids at one address are one
     * process, so neither may hold two shards of a stripe as if they were two hosts.
     */
    public static List<Contact> distinctHosts(Collection<Contact> nodes) {
        Set<NodeId> ids = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        List<Contact> out = new ArrayList<>();
        for (Contact c : nodes) {
            if (ids.add(c.id()) && addresses.add(c.address())) {
                out.add(c);
            }
        }
        return out;
    }

    /** The nodes the placement rule would pick for a stripe's shards (readers' fallback guess). */
    public static List<Contact> guess(List<ContentId> stripe, Collection<Contact> nodes) {
        Map<NodeId, Integer> used = new HashMap<>();
        List<Contact> out = new ArrayList<>();
        for (ContentId shard : stripe) {
            List<Contact> ranked = rank(shard, nodes, used, Set.of());
            Contact pick = ranked.isEmpty() ? null : ranked.get(0);
            out.add(pick);
            if (pick != null) {
                used.merge(pick.id(), 1, Integer::sum);
            }
        }
        return out;
    }
}
