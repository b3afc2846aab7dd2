package io.shardmesh.server.repair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.SignedAction;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.manifest.Manifest;
import io.shardmesh.common.transfer.FileDeleted;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.server.chunk.ChunkConfig;
import io.shardmesh.server.chunk.ChunkService;
import io.shardmesh.server.meta.MetadataDb;
import io.shardmesh.server.store.ChunkStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The repair pin rule: only what the manifest lists, only while the owner keeps the file, recorded as the owner's. */
class RepairPinsTest {

    @TempDir
    Path dir;

    private ChunkStore store;
    private MetadataDb db;
    private ChunkService chunks;
    private final NodeKey owner = NodeKey.generate();
    private final NodeKey repairer = NodeKey.generate();
    private final Clock clock = Clock.systemUTC();
    private ContentId shard;
    private ContentId fileId;
    private FileGet.Resolved file;

    @BeforeEach
    void open() {
        store = ChunkStore.open(dir, 0);
        db = MetadataDb.open(dir);
        chunks = ChunkService.create(store, db, ChunkConfig.defaults(), clock, Schedulers.parallel(),
                Schedulers.boundedElastic(), NodeId.random());
        byte[] bytes = new byte[1024];
        bytes[7] = 7;
        shard = Sha256.of(bytes);
        try (ChunkStore.ChunkWriter w = store.beginWrite(shard, bytes.length)) {
            w.write(ByteBuffer.wrap(bytes));
            w.commit();
        }
        List<ContentId> stripe = List.of(shard, ContentId.random(), ContentId.random());
        Manifest m = new Manifest(1024, Optional.of(ContentId.random()), "f", 1, 2, 1024, List.of(stripe), Optional.empty(),
                owner.id());
        fileId = ContentId.random();
        file = new FileGet.Resolved(fileId, m, Map.of(), Optional.of("f"), m.contentSha256());
    }

    @AfterEach
    void close() {
        store.close();
        db.close();
    }

    private RepairPins pins(Function<ContentId, Mono<FileGet.Resolved>> resolve) {
        return new RepairPins(chunks.pins(), resolve, clock, org.slf4j.LoggerFactory.getLogger(RepairPinsTest.class));
    }

    @Test
    void repairPin_listedShard_isPinnedAsTheOwners_andTheOwnersUnpinRemovesIt() {
        var result = pins(id -> Mono.just(file)).pin(fileId, List.of(shard),
                repairer.prove(SignedAction.repairPin(fileId, List.of(shard)), clock.millis())).block(Duration.ofSeconds(10));
        assertThat(result.pinned()).isEqualTo(1);
        assertThat(chunks.pins().pinnedChunks(fileId).block()).containsExactly(shard);
        // The repairer cannot take it back (it is not its pin) ...
        assertThatThrownBy(() -> chunks.pins().unpin(fileId, List.of(),
                repairer.prove(SignedAction.unpin(fileId, List.of()), clock.millis())).block())
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.PERMISSION_DENIED));
        // ... the owner's delete can.
        assertThat(chunks.pins().unpin(fileId, List.of(), owner.prove(SignedAction.unpin(fileId, List.of()), clock.millis()))
                .block()).isEqualTo(1);
    }

    @Test
    void repairPin_chunkNotInTheManifest_isRefused() {
        ContentId other = ContentId.random();
        assertThatThrownBy(() -> pins(id -> Mono.just(file)).pin(fileId, List.of(other),
                repairer.prove(SignedAction.repairPin(fileId, List.of(other)), clock.millis())).block())
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.PERMISSION_DENIED))
                .hasMessageContaining("not part of file");
        assertThat(chunks.pins().pinnedChunks(fileId).block()).isEmpty();
    }

    @Test
    void repairPin_deletedFile_isRefused() {
        assertThatThrownBy(() -> pins(id -> Mono.error(new FileDeleted(id))).pin(fileId, List.of(shard),
                repairer.prove(SignedAction.repairPin(fileId, List.of(shard)), clock.millis())).block())
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.PERMISSION_DENIED))
                .hasMessageContaining("deleted by its owner");
        assertThat(chunks.pins().pinnedChunks(fileId).block()).isEmpty();
    }

    @Test
    void repairPin_withAnOwnerPinSignature_isRefused() {
        // A Pin signature is not a RepairPin signature: one cannot be replayed as the other.
        assertThatThrownBy(() -> pins(id -> Mono.just(file)).pin(fileId, List.of(shard),
                repairer.prove(SignedAction.pin(fileId, List.of(shard)), clock.millis())).block())
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.PERMISSION_DENIED));
    }
}
