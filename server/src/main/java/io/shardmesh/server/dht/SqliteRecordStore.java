package io.shardmesh.server.dht;

import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.dht.RecordCodec;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.dht.RecordStore;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.server.meta.CountMemo;
import io.shardmesh.server.meta.MetadataDb;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** DHT records held for others, in the node's database: they survive a restart. */
final class SqliteRecordStore implements RecordStore {

    /** Records one key may hold (one per publisher): a file has at most this many announced holders here. */
    static final int MAX_RECORDS_PER_KEY = 256;
    /** Stored bytes one FindValue reads at most, whatever the count. */
    static final int MAX_READ_BYTES = 900 * 1024;

    private final MetadataDb db;
    private final CountMemo records = new CountMemo();

    SqliteRecordStore(MetadataDb db) {
        this.db = db;
    }

    @Override
    public boolean put(DhtRecord record, long nowUnixMs, KademliaConfig limits) {
        try {
            return store(record, nowUnixMs, limits);
        } finally {
            records.written();
        }
    }

    private boolean store(DhtRecord record, long nowUnixMs, KademliaConfig limits) {
        return db.inTransaction("store a DHT record", c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT published_at FROM records WHERE key = ? AND kind = ? AND publisher_id = ?")) {
                p.setString(1, record.key().hex());
                p.setInt(2, record.kind().ordinal());
                p.setString(3, record.publisherId().hex());
                try (ResultSet rs = p.executeQuery()) {
                    if (rs.next()) {
                        if (rs.getLong(1) >= record.publishedAtUnixMs()) {
                            return false;
                        }
                        return replace(c, record);
                    }
                }
            }
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT (SELECT COUNT(*) FROM records WHERE publisher_id = ?), (SELECT COUNT(*) FROM records),"
                            + " (SELECT COUNT(*) FROM records WHERE key = ?)")) {
                p.setString(1, record.publisherId().hex());
                p.setString(2, record.key().hex());
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) >= limits.maxRecordsPerPublisher()) {
                        throw MeshException.resourceExhausted("publisher " + record.publisherId() + " already has "
                                + limits.maxRecordsPerPublisher() + " records on this node");
                    }
                    if (rs.getLong(3) >= MAX_RECORDS_PER_KEY) {
                        throw MeshException.resourceExhausted("key " + record.key() + " already holds "
                                + MAX_RECORDS_PER_KEY + " records on this node");
                    }
                    if (rs.getLong(2) >= limits.maxRecords()) {
                        throw MeshException.resourceExhausted("this node holds its maximum of " + limits.maxRecords() + " records");
                    }
                }
            }
            return replace(c, record);
        });
    }

    private static boolean replace(java.sql.Connection c, DhtRecord r) throws java.sql.SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "INSERT OR REPLACE INTO records(key, kind, publisher_id, published_at, expires_at, record) VALUES (?, ?, ?, ?, ?, ?)")) {
            p.setString(1, r.key().hex());
            p.setInt(2, r.kind().ordinal());
            p.setString(3, r.publisherId().hex());
            p.setLong(4, r.publishedAtUnixMs());
            p.setLong(5, r.expiresAtUnixMs());
            p.setBytes(6, RecordCodec.toBytes(r));
            p.executeUpdate();
        }
        return true;
    }

    @Override
    public List<DhtRecord> get(ContentId key, Optional<RecordKind> kind, long nowUnixMs) {
        return db.withConnection("read DHT records", c -> {
            String sql = "SELECT record FROM records WHERE key = ? AND expires_at > ?" + (kind.isPresent() ? " AND kind = ?" : "")
                    + " ORDER BY published_at DESC LIMIT " + MAX_RECORDS_PER_KEY;
            try (PreparedStatement p = c.prepareStatement(sql)) {
                p.setString(1, key.hex());
                p.setLong(2, nowUnixMs);
                if (kind.isPresent()) {
                    p.setInt(3, kind.get().ordinal());
                }
                List<DhtRecord> out = new ArrayList<>();
                int bytes = 0;
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        byte[] raw = rs.getBytes(1);
                        bytes += raw.length;
                        if (bytes > MAX_READ_BYTES) {
                            break;
                        }
                        out.add(RecordCodec.fromBytes(raw));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public int expire(long nowUnixMs) {
        try {
            return db.inTransaction("expire DHT records", c -> {
                try (PreparedStatement p = c.prepareStatement("DELETE FROM records WHERE expires_at <= ?")) {
                    p.setLong(1, nowUnixMs);
                    return p.executeUpdate();
                }
            });
        } finally {
            records.written();
        }
    }

    @Override
    public long count() {
        return records.get(() -> db.withConnection("count DHT records", c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM records")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        }));
    }
}
