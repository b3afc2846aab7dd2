package io.shardmesh.server.meta;

import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
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

    /** For the typed stores of the feature packages: runs {@code work} on the connection under the lock. */
    public synchronized <T> T withConnection(String what, SqlWork<T> work) {
        return query(what, () -> work.run(connection));
    }

    /** For the typed stores of the feature packages: runs {@code work} in one transaction under the lock. */
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
