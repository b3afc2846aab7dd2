package io.shardmesh.common.transfer;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.NodeId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** How many losses a stripe survives, given who holds its shards. */
public final class Redundancy {

    private Redundancy() {
    }

    /**
     * How many of a stripe's holders can be lost, in the worst case (the holders of the most
     * shards first), with at least {@code k} of its shards left: m when its k + m shards are on
     * k + m distinct nodes, less when some node holds several; -1 when fewer than k are held.
     *
     * @param holders per shard, the node holding it (null: none)
     */
    public static int lossesSurvivable(Collection<Contact> holders, int k) {
        Map<NodeId, Integer> perNode = new HashMap<>();
        int held = 0;
        for (Contact c : holders) {
            if (c != null) {
                perNode.merge(c.id(), 1, Integer::sum);
                held++;
            }
        }
        if (held < k) {
            return -1;
        }
        List<Integer> counts = new ArrayList<>(perNode.values());
        counts.sort((a, b) -> Integer.compare(b, a));
        int survived = 0;
        for (int n : counts) {
            if (held - n < k) {
                break;
            }
            held -= n;
            survived++;
        }
        return survived;
    }
}
