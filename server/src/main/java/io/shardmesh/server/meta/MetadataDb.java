package io.shardmesh.server.meta;

import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;

/**
 * The node's SQLite database. One connection, used under this object's lock: SQLite serializes
 * writers anyway, and every caller is already off the event loop (boundedElastic). Methods are
 * blocking and must never be called inside a reactive chain's non-blocking stages.
 */
public final class MetadataDb implements AutoCloseable {

    /** File name inside the data dir. */
    public static final String FILE_NAME = "shardmesh.db";

    private final Logger log;

    private final Connection connection;
    private final Path file;

    private MetadataDb(Path file, Connection connection, Logger log) {
        this.file = file;
        this.log = log;
        this.connection = connection;
    }

    /** Opens (creating if needed) the database in {@code dataDir} and brings its schema up to date. */
    public static MetadataDb open(Path dataDir) {
        return open(dataDir, NodeLog.logger(MetadataDb.class));
    }

    /** {@link #open(Path)} for the node {@code node}, whose id tags the database's log lines. */
    public static MetadataDb open(Path dataDir, NodeId node) {
        return open(dataDir, NodeLog.logger(MetadataDb.class, node));
    }

    private static MetadataDb open(Path dataDir, Logger log) {
        Path file = dataDir.resolve(FILE_NAME);
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                // FULL: a commit survives power loss, which pins (what GC must keep) need.
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA foreign_keys=ON");
                s.execute("PRAGMA busy_timeout=5000");
            }
            MetadataDb db = new MetadataDb(file, c, log);
            db.migrate();
            return db;
        } catch (SQLException e) {
            throw MeshException.internal("cannot open the metadata database " + file + ": " + e.getMessage(), e);
        }
    }

    /** The schema version after migration. */
    public synchronized int schemaVersion() {
        return query("read schema version", () -> {
            try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        });
    }

    private synchronized void migrate() throws SQLException {
        int current = schemaVersion();
        List<List<String>> migrations = Migrations.ALL;
        for (int v = current; v < migrations.size(); v++) {
            connection.setAutoCommit(false);
            try (Statement s = connection.createStatement()) {
                for (String sql : migrations.get(v)) {
                    s.execute(sql);
                }
                s.execute("PRAGMA user_version = " + (v + 1));
                connection.commit();
                log.info("metadata database {} migrated to schema version {}", file, v + 1);
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        }
        if (current > migrations.size()) {
            throw new SQLException("database schema version " + current + " is newer than this software ("
                    + migrations.size() + "); use a newer Shardmesh");
        }
    }

    // ---- pins ----

    /** Records that {@code owner} pinned {@code chunks} as part of {@code fileId}. */
    public synchronized void addPins(ContentId fileId, NodeId owner, Collection<ContentId> chunks, long nowUnixMs) {
        update("add pins", () -> inTransaction(() -> {
            try (PreparedStatement p = connection.prepareStatement(
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
        }));
    }

    /**
     * Removes {@code owner}'s pins of {@code fileId}: only on {@code chunks}, or all of them when
     * {@code chunks} is empty.
     *
     * @return how many pins were removed
     */
    public synchronized int removePins(ContentId fileId, NodeId owner, Collection<ContentId> chunks) {
        return update("remove pins", () -> inTransaction(() -> {
            if (chunks.isEmpty()) {
                try (PreparedStatement p = connection.prepareStatement(
                        "DELETE FROM pins WHERE file_id = ? AND owner_id = ?")) {
                    p.setString(1, fileId.hex());
                    p.setString(2, owner.hex());
                    return p.executeUpdate();
                }
            }
            int removed = 0;
            try (PreparedStatement p = connection.prepareStatement(
                    "DELETE FROM pins WHERE file_id = ? AND owner_id = ? AND chunk_id = ?")) {
                for (ContentId chunk : chunks) {
                    p.setString(1, fileId.hex());
                    p.setString(2, owner.hex());
                    p.setString(3, chunk.hex());
                    removed += p.executeUpdate();
                }
            }
            return removed;
        }));
    }

    /** The owners that pinned anything under {@code fileId}. */
    public synchronized Set<NodeId> pinOwners(ContentId fileId) {
        return query("read pin owners", () -> {
            Set<NodeId> owners = new HashSet<>();
            try (PreparedStatement p = connection.prepareStatement("SELECT DISTINCT owner_id FROM pins WHERE file_id = ?")) {
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
    public synchronized boolean isPinned(ContentId chunk) {
        return query("read pin", () -> {
            try (PreparedStatement p = connection.prepareStatement("SELECT 1 FROM pins WHERE chunk_id = ? LIMIT 1")) {
                p.setString(1, chunk.hex());
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** Every chunk id that some pin references. */
    public synchronized Set<ContentId> pinnedChunks() {
        return query("read pinned chunks", () -> {
            Set<ContentId> out = new HashSet<>();
            try (Statement s = connection.createStatement();
                 ResultSet rs = s.executeQuery("SELECT DISTINCT chunk_id FROM pins")) {
                while (rs.next()) {
                    out.add(ContentId.fromHex(rs.getString(1)));
                }
            }
            return out;
        });
    }

    /** How many distinct files have pins here. */
    public synchronized long pinnedFileCount() {
        return query("count pinned files", () -> {
            try (Statement s = connection.createStatement();
                 ResultSet rs = s.executeQuery("SELECT COUNT(DISTINCT file_id) FROM pins")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    /** The chunk ids pinned under {@code fileId}, by any owner. */
    public synchronized List<ContentId> chunksOf(ContentId fileId) {
        return query("read file pins", () -> {
            List<ContentId> out = new ArrayList<>();
            try (PreparedStatement p = connection.prepareStatement(
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

    // ---- settings ----

    /** A stored setting, or null. */
    public synchronized String setting(String key) {
        return query("read setting", () -> {
            try (PreparedStatement p = connection.prepareStatement("SELECT value FROM settings WHERE key = ?")) {
                p.setString(1, key);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        });
    }

    /** Stores a setting. */
    public synchronized void setSetting(String key, String value) {
        update("write setting", () -> {
            try (PreparedStatement p = connection.prepareStatement(
                    "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")) {
                p.setString(1, key);
                p.setString(2, value);
                return p.executeUpdate();
            }
        });
    }

    /** For the feature stores of later packages: runs {@code work} on the connection under the lock. */
    public synchronized <T> T withConnection(String what, SqlWork<T> work) {
        return query(what, () -> work.run(connection));
    }

    /** For the feature stores: runs {@code work} in one transaction under the lock. */
    public synchronized <T> T inTransaction(String what, SqlWork<T> work) {
        return update(what, () -> inTransaction(() -> work.run(connection)));
    }

    /** Work on the connection. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }

    @FunctionalInterface
    private interface Sql<T> {
        T run() throws SQLException;
    }

    private <T> T inTransaction(Sql<T> work) throws SQLException {
        connection.setAutoCommit(false);
        try {
            T result = work.run();
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    private <T> T query(String what, Sql<T> work) {
        try {
            return work.run();
        } catch (SQLException e) {
            throw MeshException.internal("metadata database: cannot " + what + ": " + e.getMessage(), e);
        }
    }

    private <T> T update(String what, Sql<T> work) {
        return query(what, work);
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            log.warn("closing {} failed: {}", file, e.getMessage());
        }
    }
}
