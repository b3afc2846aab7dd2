package io.shardmesh.server.meta;

import static org.assertj.core.api.Assertions.assertThat;

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
            for (String table : List.of("pins", "peers", "records", "manifests")) {
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
}
