package io.shardmesh.server.files;

import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.manifest.Manifest;
import io.shardmesh.server.meta.MetadataDb;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/** The files a node knows, newest first: what it put as a gateway and the manifests it holds. Blocking. */
public final class ManifestIndex {

    /** A listed file. */
    public record Entry(ContentId fileId, String name, long size, int k, int m, int shardSize, NodeId ownerId,
                        boolean encrypted, long createdAtUnixMs) {
    }

    /** One page and where the next one starts (empty when none). */
    public record Page(List<Entry> entries, String nextToken) {
    }

    private final MetadataDb db;

    public ManifestIndex(MetadataDb db) {
        this.db = db;
    }

    /**
     * Records a file (first sighting keeps its created time); a file put again after a delete is
     * listed again.
     *
     * @param putHere put through this node (listed until deleted), rather than listed because this
     *     node keeps its manifest (listed while it does)
     */
    public void add(ContentId fileId, Manifest m, long nowUnixMs, boolean putHere) {
        db.inTransaction("index a manifest", c -> {
            try (PreparedStatement p = c.prepareStatement("""
                    INSERT INTO manifests(file_id, name, size, k, m, shard_size, owner_id, encrypted, created_at, put_here)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(file_id) DO UPDATE SET deleted_at = NULL, put_here = MAX(put_here, excluded.put_here)""")) {
                p.setString(1, fileId.hex());
                p.setString(2, m.name());
                p.setLong(3, m.size());
                p.setInt(4, m.k());
                p.setInt(5, m.m());
                p.setInt(6, m.shardSize());
                p.setString(7, m.ownerId().hex());
                p.setInt(8, m.encrypted() ? 1 : 0);
                p.setLong(9, nowUnixMs);
                p.setInt(10, putHere ? 1 : 0);
                return p.executeUpdate();
            }
        });
    }

    /** Unlists a file listed only because this node kept its manifest, which it no longer pins. */
    public void forgetHeld(ContentId fileId) {
        db.inTransaction("forget a held manifest", c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM manifests WHERE file_id = ? AND put_here = 0")) {
                p.setString(1, fileId.hex());
                return p.executeUpdate();
            }
        });
    }

    /** Marks a file deleted: it is no longer listed. */
    public void markDeleted(ContentId fileId, long nowUnixMs) {
        db.inTransaction("mark a file deleted", c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE manifests SET deleted_at = ? WHERE file_id = ?")) {
                p.setLong(1, nowUnixMs);
                p.setString(2, fileId.hex());
                return p.executeUpdate();
            }
        });
    }

    /**
     * A page of live files, newest first.
     *
     * @param token empty for the first page, else a previous page's {@link Page#nextToken()}
     */
    public Page list(int pageSize, String token) {
        int offset;
        try {
            offset = token.isEmpty() ? 0 : Integer.parseInt(token);
        } catch (NumberFormatException e) {
            throw MeshException.invalidArgument("page_token '" + token + "' is not one this node gave out");
        }
        if (offset < 0) {
            throw MeshException.invalidArgument("page_token must not be negative");
        }
        return db.withConnection("list files", c -> {
            try (PreparedStatement p = c.prepareStatement("""
                    SELECT file_id, name, size, k, m, shard_size, owner_id, encrypted, created_at FROM manifests
                    WHERE deleted_at IS NULL ORDER BY created_at DESC, file_id LIMIT ? OFFSET ?""")) {
                p.setInt(1, pageSize + 1);
                p.setInt(2, offset);
                List<Entry> out = new ArrayList<>();
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Entry(ContentId.fromHex(rs.getString(1)), rs.getString(2), rs.getLong(3), rs.getInt(4),
                                rs.getInt(5), rs.getInt(6), NodeId.fromHex(rs.getString(7)), rs.getInt(8) == 1, rs.getLong(9)));
                    }
                }
                boolean more = out.size() > pageSize;
                return new Page(more ? out.subList(0, pageSize) : out, more ? String.valueOf(offset + pageSize) : "");
            }
        });
    }
}
