package io.shardmesh.server.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.RecordCodec;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.server.meta.MetadataDb;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The {@code published} table: the records this node publishes and keeps alive. Blocking. */
final class PublishedRecords {

    /** A record of ours and the lifetime it is republished with. */
    record Published(DhtRecord record, Duration ttl) {
    }

    private final MetadataDb db;

    PublishedRecords(MetadataDb db) {
        this.db = requireNonNull(db, "db");
    }

    /** Remembers {@code record} (replacing ours of the same key and kind). */
    void save(DhtRecord record, Duration ttl) {
        db.inTransaction("save published record", c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT OR REPLACE INTO published(key, kind, payload, ttl_ms, published_at) VALUES (?, ?, ?, ?, ?)")) {
                p.setString(1, record.key().hex());
                p.setInt(2, record.kind().ordinal());
                p.setBytes(3, RecordCodec.toBytes(record));
                p.setLong(4, ttl.toMillis());
                p.setLong(5, record.publishedAtUnixMs());
                return p.executeUpdate();
            }
        });
    }

    /** Forgets ours of {@code key} and {@code kind}. */
    void forget(ContentId key, RecordKind kind) {
        db.inTransaction("forget published record", c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM published WHERE key = ? AND kind = ?")) {
                p.setString(1, key.hex());
                p.setInt(2, kind.ordinal());
                return p.executeUpdate();
            }
        });
    }

    /** Every record of ours. */
    List<Published> all() {
        return db.withConnection("read published records", c -> {
            List<Published> out = new ArrayList<>();
            try (ResultSet rs = c.createStatement().executeQuery("SELECT payload, ttl_ms FROM published")) {
                while (rs.next()) {
                    out.add(new Published(RecordCodec.fromBytes(rs.getBytes(1)), Duration.ofMillis(rs.getLong(2))));
                }
            }
            return out;
        });
    }
}
