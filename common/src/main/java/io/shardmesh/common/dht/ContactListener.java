package io.shardmesh.common.dht;

import io.shardmesh.common.id.NodeId;
import java.util.Optional;

/**
 * Told whether contacts answered: lookups tell the routing table, the node tells its persisted
 * peer table.
 */
public interface ContactListener {

    /** {@code contact} answered (or called us); {@code rttMillis} is 0 when not measured. */
    void responded(Contact contact, long rttMillis);

    /** A call to {@code contact} failed or timed out. */
    void failed(Contact contact);

    /**
     * {@code stale}'s address answered as another node, {@code answeredAs} (a node rebuilt with a
     * new key on the old address): {@code stale} is gone from there.
     */
    default void replaced(Contact stale, Optional<NodeId> answeredAs) {
        failed(stale);
    }

    /** Ignores everything. */
    ContactListener NONE = new ContactListener() {
        @Override
        public void responded(Contact contact, long rttMillis) {
        }

        @Override
        public void failed(Contact contact) {
        }
    };
}
