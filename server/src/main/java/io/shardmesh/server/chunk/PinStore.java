package io.shardmesh.server.chunk;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.server.meta.CountMemo;
import io.shardmesh.server.meta.MetadataDb;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The {@code pins} table: which owner pinned which chunk under which file. Blocking. */
final class PinStore {

    private final MetadataDb db;
    private final CountMemo files = new CountMemo();

    PinStore(MetadataDb db) {
        this.db = requireNonNull(db, "db");
    }

    /** Records that {@code owner} pinned {@code chunks} as part of {@code fileId}. */
    void add(ContentId fileId, NodeId owner, Collection<ContentId> chunks, long nowUnixMs) {
        try {
            addPins(fileId, owner, chunks, nowUnixMs);
        } finally {
            files.written();
        }
    }

    private void addPins(ContentId fileId, NodeId owner, Collection<ContentId> chunks, long nowUnixMs) {
        db.inTransaction("add pins", c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT OR IGNORE INTO pins(file_id, chunk_id, owner_id, pinned_at) VALUES (?, ?, ?, ?)")) {
                for (ContentId chunk : chunks) {
                    p.setString(1, fileId.hex());
                    p.setString(2, chunk.hex());
                    p.setString(3, owner.hex());
                    p.setLong(4, nowUnixMs);
                    p.addBatch();
                }
                p.executeBatch();
            }
            return null;
        });
    }

    /**
     * Removes {@code owner}'s pins of {@code fileId}: only on {@code chunks}, or all of them when
     * {@code chunks} is empty.
     *
     * @return how many pins were removed
     */
    int remove(ContentId fileId, NodeId owner, Collection<ContentId> chunks) {
        try {
            return removePins(fileId, owner, chunks);
        } finally {
            files.written();
        }
    }

    private int removePins(ContentId fileId, NodeId owner, Collection<ContentId> chunks) {
        return db.inTransaction("remove pins", c -> {
            if (chunks.isEmpty()) {
                try (PreparedStatement p = c.prepareStatement("DELETE FROM pins WHERE file_id = ? AND owner_id = ?")) {
                    p.setString(1, fileId.hex());
                    p.setString(2, owner.hex());
                    return p.executeUpdate();
                }
            }
            int removed = 0;
            try (PreparedStatement p = c.prepareStatement(
                    "DELETE FROM pins WHERE file_id = ? AND owner_id = ? AND chunk_id = ?")) {
                for (ContentId chunk : chunks) {
                    p.setString(1, fileId.hex());
                    p.setString(2, owner.hex());
                    p.setString(3, chunk.hex());
                    removed += p.executeUpdate();
                }
            }
            return removed;
        });
    }

    /**
     * Removes every owner's pins of {@code chunks} under {@code fileId}: the node itself lets go
     * of them (they moved, are surplus, were deleted, or went bad).
     */
    int removeAllOwners(ContentId fileId, Collection<ContentId> chunks) {
        try {
            return dropPins(fileId, chunks);
        } finally {
            files.written();
        }
    }

    private int dropPins(ContentId fileId, Collection<ContentId> chunks) {
        return db.inTransaction("drop pins", c -> {
            int removed = 0;
            try (PreparedStatement p = c.prepareStatement("DELETE FROM pins WHERE file_id = ? AND chunk_id = ?")) {
                for (ContentId chunk : chunks) {
                    p.setString(1, fileId.hex());
                    p.setString(2, chunk.hex());
                    removed += p.executeUpdate();
                }
            }
            return removed;
        });
    }

    /** When the first pin under {@code fileId} still here was placed; 0 when there is none. */
    long firstPinAt(ContentId fileId) {
        return db.withConnection("read pin time", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT MIN(pinned_at) FROM pins WHERE file_id = ?")) {
                p.setString(1, fileId.hex());
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0L;
                }
            }
        });
    }

    /** The files that pin {@code chunk}. */
    List<ContentId> filesOf(ContentId chunk) {
        return db.withConnection("read files of a chunk", c -> {
            List<ContentId> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT DISTINCT file_id FROM pins WHERE chunk_id = ?")) {
                p.setString(1, chunk.hex());
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.add(ContentId.fromHex(rs.getString(1)));
                    }
                }
            }
            return out;
        });
    }

    /** Every file with pins here. */
    List<ContentId> fileIds() {
        return db.withConnection("read pinned files", c -> {
            List<ContentId> out = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT DISTINCT file_id FROM pins ORDER BY file_id")) {
                while (rs.next()) {
                    out.add(ContentId.fromHex(rs.getString(1)));
                }
            }
            return out;
        });
    }

    /** The owners that pinned anything under {@code fileId}. */
    Set<NodeId> owners(ContentId fileId) {
        return db.withConnection("read pin owners", c -> {
            Set<NodeId> owners = new HashSet<>();
            try (PreparedStatement p = c.prepareStatement("SELECT DISTINCT owner_id FROM pins WHERE file_id = ?")) {
                p.setString(1, fileId.hex());
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        owners.add(NodeId.fromHex(rs.getString(1)));
                    }
                }
            }
            return owners;
        });
    }

    /** Whether any pin references {@code chunk}. */
    boolean isPinned(ContentId chunk) {
        return db.withConnection("read pin", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM pins WHERE chunk_id = ? LIMIT 1")) {
                p.setString(1, chunk.hex());
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** Every chunk id that some pin references. */
    Set<ContentId> pinnedChunks() {
        return db.withConnection("read pinned chunks", c -> {
            Set<ContentId> out = new HashSet<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT DISTINCT chunk_id FROM pins")) {
                while (rs.next()) {
                    out.add(ContentId.fromHex(rs.getString(1)));
                }
            }
            return out;
        });
    }

    /** How many distinct files have pins here (counted again only after a pin changed). */
    long fileCount() {
        return files.get(() -> db.withConnection("count pinned files", c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(DISTINCT file_id) FROM pins")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        }));
    }

    /** The chunk ids pinned under {@code fileId}, by any owner. */
    List<ContentId> chunksOf(ContentId fileId) {
        return db.withConnection("read file pins", c -> {
            List<ContentId> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT DISTINCT chunk_id FROM pins WHERE file_id = ? ORDER BY chunk_id")) {
                p.setString(1, fileId.hex());
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.add(ContentId.fromHex(rs.getString(1)));
                    }
                }
            }
            return out;
        });
    }
}
