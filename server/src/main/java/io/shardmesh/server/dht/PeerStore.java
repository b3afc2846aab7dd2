package io.shardmesh.server.dht;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.server.meta.MetadataDb;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The peer table in the node's database, so a restarted node finds its peers again without a
 * bootstrap address. Sightings are buffered in memory and written in batches ({@link #flush}):
 * every DHT call refreshes a peer, and a database write per call would cost more than the call.
 */
final class PeerStore {

    /** A persisted peer. */
    record Peer(Contact contact, long firstSeenUnixMs, long lastSeenUnixMs, int lastRttMillis, int failures) {
    }

    private record Sighting(Contact contact, long atUnixMs, int rttMillis, boolean failed) {
    }

    private final MetadataDb db;
    private final Map<NodeId, Sighting> pending = new HashMap<>();
    /** The contact last written (or loaded) per peer: tells a peer the database does not know yet. */
    private final Map<NodeId, Contact> saved = new java.util.concurrent.ConcurrentHashMap<>();

    PeerStore(MetadataDb db) {
        this.db = db;
    }

    /**
     * Buffers a sighting.
     *
     * @return true when the database does not have this peer at this address yet: the caller
     *     should flush soon, since a node killed before the next batch would otherwise restart
     *     without the peers it just learned and could not rejoin without a bootstrap address
     */
    synchronized boolean seen(Contact c, long nowUnixMs, long rttMillis) {
        Sighting before = pending.get(c.id());
        int rtt = rttMillis > 0 ? (int) Math.min(rttMillis, Integer.MAX_VALUE) : (before == null ? 0 : before.rttMillis());
        pending.put(c.id(), new Sighting(c, nowUnixMs, rtt, false));
        return !c.equals(saved.get(c.id()));
    }

    synchronized void failed(Contact c, long nowUnixMs) {
        Sighting before = pending.get(c.id());
        pending.put(c.id(), new Sighting(c, before == null ? 0 : before.atUnixMs(), before == null ? 0 : before.rttMillis(), true));
    }

    /** Writes buffered sightings. Blocking: call on the blocking scheduler. */
    void flush() {
        List<Sighting> batch;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            batch = new ArrayList<>(pending.values());
            pending.clear();
        }
        db.inTransaction("save peers", c -> {
            try (PreparedStatement seen = c.prepareStatement("""
                    INSERT INTO peers(node_id, host, port, first_seen, last_seen, last_rtt_ms, failures)
                    VALUES (?, ?, ?, ?, ?, ?, 0)
                    ON CONFLICT(node_id) DO UPDATE SET host = excluded.host, port = excluded.port,
                        last_seen = excluded.last_seen,
                        last_rtt_ms = CASE WHEN excluded.last_rtt_ms > 0 THEN excluded.last_rtt_ms ELSE peers.last_rtt_ms END,
                        failures = 0""");
                 PreparedStatement failed = c.prepareStatement(
                         "UPDATE peers SET failures = failures + 1 WHERE node_id = ?")) {
                for (Sighting s : batch) {
                    if (s.failed()) {
                        failed.setString(1, s.contact().id().hex());
                        failed.addBatch();
                    } else {
                        seen.setString(1, s.contact().id().hex());
                        seen.setString(2, s.contact().host());
                        seen.setInt(3, s.contact().port());
                        seen.setLong(4, s.atUnixMs());
                        seen.setLong(5, s.atUnixMs());
                        seen.setInt(6, s.rttMillis());
                        seen.addBatch();
                    }
                }
                seen.executeBatch();
                failed.executeBatch();
            }
            return null;
        });
        for (Sighting s : batch) {
            if (!s.failed()) {
                saved.put(s.contact().id(), s.contact());
            }
        }
    }

    /** Peers, most recently seen first, at most {@code limit}. Blocking. */
    List<Peer> load(int limit) {
        return db.withConnection("load peers", c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT node_id, host, port, first_seen, last_seen, last_rtt_ms, failures FROM peers ORDER BY last_seen DESC LIMIT ?")) {
                p.setInt(1, limit);
                List<Peer> out = new ArrayList<>();
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        try {
                            Peer peer = new Peer(new Contact(NodeId.fromHex(rs.getString(1)), rs.getString(2), rs.getInt(3)),
                                    rs.getLong(4), rs.getLong(5), rs.getInt(6), rs.getInt(7));
                            out.add(peer);
                            saved.putIfAbsent(peer.contact().id(), peer.contact());
                        } catch (RuntimeException e) {
                            // A row this version cannot read is skipped, not fatal.
                        }
                    }
                }
                return out;
            }
        });
    }

    /** Deletes peers not seen since {@code cutoffUnixMs}, except those {@code keep} says are live; returns them. Blocking. */
    List<Contact> forgetOlderThan(long cutoffUnixMs, java.util.function.Predicate<NodeId> keep) {
        flush();
        return db.inTransaction("forget stale peers", c -> {
            List<Contact> gone = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT node_id, host, port FROM peers WHERE last_seen < ?")) {
                p.setLong(1, cutoffUnixMs);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        try {
                            Contact peer = new Contact(NodeId.fromHex(rs.getString(1)), rs.getString(2), rs.getInt(3));
                            if (!keep.test(peer.id())) {
                                gone.add(peer);
                            }
                        } catch (RuntimeException e) {
                            // An unreadable row is left alone.
                        }
                    }
                }
            }
            try (PreparedStatement p = c.prepareStatement("DELETE FROM peers WHERE node_id = ?")) {
                for (Contact g : gone) {
                    p.setString(1, g.id().hex());
                    p.addBatch();
                }
                p.executeBatch();
            }
            gone.forEach(g -> saved.remove(g.id()));
            return gone;
        });
    }
}
