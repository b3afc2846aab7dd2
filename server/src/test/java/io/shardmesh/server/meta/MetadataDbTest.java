package io.shardmesh.server.meta;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetadataDbTest {

    @TempDir
    Path dir;

    @Test
    void open_freshDatabase_appliesEveryMigrationInWalMode() {
        try (MetadataDb db = MetadataDb.open(dir)) {
            assertThat(db.schemaVersion()).isEqualTo(Migrations.ALL.size());
            String mode = db.withConnection("journal mode", c -> {
                try (ResultSet rs = c.createStatement().executeQuery("PRAGMA journal_mode")) {
                    return rs.next() ? rs.getString(1) : null;
                }
            });
            assertThat(mode).isEqualToIgnoringCase("wal");
            for (String table : List.of("settings", "pins", "peers", "records", "manifests")) {
                boolean exists = db.withConnection("table " + table, c -> {
                    try (ResultSet rs = c.createStatement().executeQuery(
                            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'")) {
                        return rs.next();
                    }
                });
                assertThat(exists).as("table %s", table).isTrue();
            }
        }
    }

    @Test
    void pins_surviveReopenAndAreRemovedPerOwner() {
        ContentId file = ContentId.random();
        ContentId a = ContentId.random();
        ContentId b = ContentId.random();
        NodeId owner = NodeId.random();
        NodeId other = NodeId.random();
        try (MetadataDb db = MetadataDb.open(dir)) {
            db.addPins(file, owner, List.of(a, b), 1);
            db.addPins(file, owner, List.of(a), 2);
            db.addPins(file, other, List.of(b), 3);
        }
        try (MetadataDb db = MetadataDb.open(dir)) {
            assertThat(db.schemaVersion()).isEqualTo(Migrations.ALL.size());
            assertThat(db.pinnedChunks()).containsExactlyInAnyOrder(a, b);
            assertThat(db.pinOwners(file)).containsExactlyInAnyOrder(owner, other);
            assertThat(db.pinnedFileCount()).isEqualTo(1);
            assertThat(db.removePins(file, owner, List.of())).isEqualTo(2);
            assertThat(db.isPinned(a)).isFalse();
            assertThat(db.isPinned(b)).isTrue();
            assertThat(db.removePins(file, other, List.of(b))).isEqualTo(1);
            assertThat(db.pinnedFileCount()).isZero();
        }
    }

    @Test
    void settings_roundTrip() {
        try (MetadataDb db = MetadataDb.open(dir)) {
            assertThat(db.setting("x")).isNull();
            db.setSetting("x", "1");
            db.setSetting("x", "2");
            assertThat(db.setting("x")).isEqualTo("2");
        }
    }
}
