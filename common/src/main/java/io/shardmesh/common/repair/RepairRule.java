package io.shardmesh.common.repair;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.transfer.Redundancy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rule every holder of a stripe computes alone, from what it just probed, so that no node is
 * in charge (DESIGN.md, "Repair").
 *
 * <ul>
 *   <li><b>When.</b> A stripe with a shard that no live holder confirms is <i>degraded</i>. It is
 *       <i>due</i> for repair once it has been degraded for the repair delay (a reboot does not
 *       trigger repair), or at once when only k + 1 or fewer of its shards are left and more than
 *       one is missing, or only k are left ({@link #urgentAt}).</li>
 *   <li><b>Who.</b> The live holders of the stripe, ordered by XOR distance from the stripe's
 *       first shard id; the first repairs as soon as the stripe is due, the r-th once it has been
 *       due for r back-offs. A repairer that dies is no longer a live holder, so at the next check
 *       the next one is first; one that is alive but stuck is overtaken after a back-off.</li>
 *   <li><b>Why two repairs are harmless.</b> A rebuilt shard has the bytes of the lost one (its
 *       id is their SHA-256, and the repair checks it), so two repairers place identical copies,
 *       and since both rank the same candidates by the same rule they usually pick the same new
 *       holder, whose second upload finds the chunk already stored. Readers accept any copy. The surplus is dropped by the same rule: of a shard's live
 *       holders, the one XOR-closest to the shard id keeps it and the others drop their copy,
 *       but only holders that hold no other shard of the stripe count, so a drop never costs
 *       a distinct host.</li>
 * </ul>
 */
public final class RepairRule {

    private RepairRule() {
    }

    /**
     * Whether a stripe with {@code liveShards} of its {@code k + m} shards left is due, having
     * been degraded since {@code degradedSinceMillis}.
     */
    public static boolean due(int liveShards, int k, int m, long degradedSinceMillis, long nowMillis, Duration delay) {
        if (liveShards >= k + m) {
            return false;
        }
        return liveShards <= urgentAt(k, m) || nowMillis - degradedSinceMillis >= delay.toMillis();
    }

    /**
     * The live shard count at or below which a stripe is repaired without waiting for the delay:
     * k + 1, except that one missing shard alone always waits (with 4 + 2 one missing shard
     * leaves k + 1, and every reboot would trigger a repair), and a stripe left with exactly k
     * never waits (one more loss and it is gone).
     */
    public static int urgentAt(int k, int m) {
        return Math.max(k, Math.min(k + 1, k + m - 2));
    }

    /**
     * The live holders of a stripe in repair order: XOR-closest to {@code firstShard} first.
     *
     * @param liveHolders per shard, the holders that confirmed it just now
     */
    public static List<Contact> order(ContentId firstShard, List<List<Contact>> liveHolders) {
        Map<NodeId, Contact> distinct = new LinkedHashMap<>();
        liveHolders.forEach(hs -> hs.forEach(h -> distinct.putIfAbsent(h.id(), h)));
        List<Contact> out = new ArrayList<>(distinct.values());
        out.sort((a, b) -> firstShard.compareDistance(a.id(), b.id()));
        return out;
    }

    /**
     * Where {@code self} stands in the repair order of a stripe: 0 for the repairer, r for the
     * holder that takes over after r back-offs; -1 when it is not a live holder.
     */
    public static int rank(NodeId self, ContentId firstShard, List<List<Contact>> liveHolders) {
        List<Contact> order = order(firstShard, liveHolders);
        for (int i = 0; i < order.size(); i++) {
            if (order.get(i).id().equals(self)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether the holder of rank {@code rank} repairs a stripe that has been due since {@code dueSinceMillis}. */
    public static boolean repairsNow(int rank, long dueSinceMillis, long nowMillis, Duration backoff) {
        return rank >= 0 && nowMillis - dueSinceMillis >= rank * backoff.toMillis();
    }

    /**
     * The indexes of a stripe's shards that do not count as held, as {@link Redundancy#spread}
     * finds them: no live holder, or no host of their own (two shards on one host count once).
     * Each is rebuilt onto a host of its own, so the stripe again survives any m host losses.
     *
     * @param liveHolders per shard, the holders that confirmed it just now
     */
    public static List<Integer> missing(List<List<Contact>> liveHolders) {
        List<Contact> spread = Redundancy.spread(liveHolders);
        List<Integer> out = new ArrayList<>();
        for (int j = 0; j < spread.size(); j++) {
            if (spread.get(j) == null) {
                out.add(j);
            }
        }
        return out;
    }

    /**
     * The shards of a stripe that {@code self} holds a surplus copy of and should drop: another
     * live holder of the same shard holds no other shard of the stripe, and is XOR-closer to the
     * shard id or {@code self} holds other shards of the stripe too (so the drop leaves the
     * stripe on as many distinct hosts as before, and two holders never drop each other's copy).
     *
     * @param shards the stripe's shard ids
     * @param liveHolders per shard, the holders that confirmed it just now
     */
    public static List<ContentId> surplus(NodeId self, List<ContentId> shards, List<List<Contact>> liveHolders) {
        requireNonNull(self, "self");
        Map<NodeId, Integer> shardsHeld = new HashMap<>();
        for (List<Contact> hs : liveHolders) {
            hs.stream().map(Contact::id).distinct().forEach(id -> shardsHeld.merge(id, 1, Integer::sum));
        }
        int mine = shardsHeld.getOrDefault(self, 0);
        if (mine == 0) {
            return List.of();
        }
        // A holder of several shards of the stripe (a put that fell back to fewer hosts, before
        // repair spread them) drops each that a holder of that shard alone also has.
        boolean crowded = mine > 1;
        List<ContentId> out = new ArrayList<>();
        for (int j = 0; j < shards.size(); j++) {
            ContentId shard = shards.get(j);
            Collection<Contact> hs = liveHolders.get(j);
            if (hs.stream().noneMatch(h -> h.id().equals(self))) {
                continue;
            }
            boolean closerCopy = hs.stream().anyMatch(h -> !h.id().equals(self) && shardsHeld.get(h.id()) == 1
                    && (crowded || shard.compareDistance(h.id(), self) < 0));
            if (closerCopy) {
                out.add(shard);
            }
        }
        return out;
    }
}
