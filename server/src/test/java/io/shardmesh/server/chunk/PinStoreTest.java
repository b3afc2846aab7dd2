package io.shardmesh.server.chunk;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.server.meta.MetadataDb;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PinStoreTest {

    @TempDir
    Path dir;

    @Test
    void pins_surviveReopenAndAreRemovedPerOwner() {
        ContentId file = ContentId.random();
        ContentId a = ContentId.random();
        ContentId b = ContentId.random();
        NodeId owner = NodeId.random();
        NodeId other = NodeId.random();
        try (MetadataDb db = MetadataDb.open(dir)) {
            PinStore pins = new PinStore(db);
            pins.add(file, owner, List.of(a, b), 1);
            pins.add(file, owner, List.of(a), 2);
            pins.add(file, other, List.of(b), 3);
        }
        try (MetadataDb db = MetadataDb.open(dir)) {
            PinStore pins = new PinStore(db);
            assertThat(pins.pinnedChunks()).containsExactlyInAnyOrder(a, b);
            assertThat(pins.owners(file)).containsExactlyInAnyOrder(owner, other);
            assertThat(pins.fileCount()).isEqualTo(1);
            assertThat(pins.remove(file, owner, List.of())).isEqualTo(2);
            assertThat(pins.isPinned(a)).isFalse();
            assertThat(pins.isPinned(b)).isTrue();
            assertThat(pins.remove(file, other, List.of(b))).isEqualTo(1);
            assertThat(pins.fileCount()).isZero();
        }
    }
}
