package io.shardmesh.server.meta;

import java.util.List;

/**
 * The schema, as numbered migrations. Never edit a released migration: append a new one. The
 * database's {@code PRAGMA user_version} is the number of migrations applied.
 */
final class Migrations {

    static final List<List<String>> ALL = List.of(
            // 1: the first schema.
            List.of(
                """
                CREATE TABLE settings (
                    key   TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                )""",
                // One row per (file, chunk, owner): a chunk is kept while any row names it, and
                // only the owner that pinned can unpin.
                """
                CREATE TABLE pins (
                    file_id   TEXT NOT NULL,
                    chunk_id  TEXT NOT NULL,
                    owner_id  TEXT NOT NULL,
                    pinned_at INTEGER NOT NULL,
                    PRIMARY KEY (file_id, chunk_id, owner_id)
                )""",
                "CREATE INDEX pins_by_chunk ON pins(chunk_id)",
                """
                CREATE TABLE peers (
                    node_id     TEXT PRIMARY KEY,
                    host        TEXT NOT NULL,
                    port        INTEGER NOT NULL,
                    first_seen  INTEGER NOT NULL,
                    last_seen   INTEGER NOT NULL,
                    last_rtt_ms INTEGER NOT NULL DEFAULT 0,
                    failures    INTEGER NOT NULL DEFAULT 0
                )""",
                // DHT records held for others; the serialized signed record is kept whole.
                """
                CREATE TABLE records (
                    key          TEXT NOT NULL,
                    kind         INTEGER NOT NULL,
                    publisher_id TEXT NOT NULL,
                    published_at INTEGER NOT NULL,
                    expires_at   INTEGER NOT NULL,
                    record       BLOB NOT NULL,
                    PRIMARY KEY (key, kind, publisher_id)
                )""",
                "CREATE INDEX records_by_expiry ON records(expires_at)",
                // Files this node knows (from puts, pins and lists); the manifest bytes are a chunk.
                """
                CREATE TABLE manifests (
                    file_id    TEXT PRIMARY KEY,
                    name       TEXT NOT NULL,
                    size       INTEGER NOT NULL,
                    k          INTEGER NOT NULL,
                    m          INTEGER NOT NULL,
                    shard_size INTEGER NOT NULL,
                    owner_id   TEXT NOT NULL,
                    encrypted  INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    deleted_at INTEGER
                )""",
                "CREATE INDEX manifests_by_created ON manifests(created_at)"
            ),
            // 2: records this node publishes itself, republished on a timer; peers' addresses
            // are looked up by recency when a node restarts.
            List.of(
                """
                CREATE TABLE published (
                    key          TEXT NOT NULL,
                    kind         INTEGER NOT NULL,
                    payload      BLOB NOT NULL,
                    ttl_ms       INTEGER NOT NULL,
                    published_at INTEGER NOT NULL,
                    PRIMARY KEY (key, kind)
                )""",
                "CREATE INDEX records_by_publisher ON records(publisher_id)",
                "CREATE INDEX peers_by_last_seen ON peers(last_seen)"
            ),
            // 3: why a node lists a file: put through it (kept until deleted), or because it keeps
            // the manifest (listed only while it does, so a failed put that unpins is unlisted).
            List.of(
                "ALTER TABLE manifests ADD COLUMN put_here INTEGER NOT NULL DEFAULT 1"
            ));

    private Migrations() {
    }
}
