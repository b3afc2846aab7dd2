package io.shardmesh.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.server.testing.Chunks;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskChunkStoreTest {

    @TempDir
    Path dir;

    @Test
    void crashBetweenWriteAndRename_onlyWholeChunksSurviveRestart() throws Exception {
        byte[] committed = Chunks.random(300_000, 1);
        byte[] halfWritten = Chunks.random(300_000, 2);
        byte[] fullyWrittenNotRenamed = Chunks.random(300_000, 3);

        DiskChunkStore before = DiskChunkStore.open(dir, 0);
        try (ChunkStore.ChunkWriter w = before.beginWrite(Chunks.idOf(committed), committed.length)) {
            w.write(ByteBuffer.wrap(committed));
            assertThat(w.commit()).isTrue();
        }
        // The "crash": two writes that never reach commit, and the process is gone. Their
        // writers are abandoned, not closed, exactly as a kill -9 would leave them.
        ChunkStore.ChunkWriter half = before.beginWrite(Chunks.idOf(halfWritten), halfWritten.length);
        half.write(ByteBuffer.wrap(halfWritten, 0, 150_000));
        ChunkStore.ChunkWriter full = before.beginWrite(Chunks.idOf(fullyWrittenNotRenamed), fullyWrittenNotRenamed.length);
        full.write(ByteBuffer.wrap(fullyWrittenNotRenamed));
        assertThat(files(dir.resolve("tmp"))).hasSize(2);

        DiskChunkStore after = DiskChunkStore.open(dir, 0);

        assertThat(files(dir.resolve("tmp"))).as("unfinished writes removed at start").isEmpty();
        assertThat(after.contains(Chunks.idOf(halfWritten))).isFalse();
        assertThat(after.contains(Chunks.idOf(fullyWrittenNotRenamed))).isFalse();
        assertThat(after.readVerified(Chunks.idOf(committed))).isEqualTo(committed);
        assertThat(after.stats().chunks()).isEqualTo(1);
        assertThat(after.stats().bytes()).isEqualTo(committed.length);
        List<ContentId> listed = new ArrayList<>();
        after.forEach(c -> listed.add(c.id()));
        assertThat(listed).containsExactly(Chunks.idOf(committed));
    }

    @Test
    void readVerified_truncatedFileInPlace_isDataLossAndQuarantined() throws Exception {
        DiskChunkStore store = DiskChunkStore.open(dir, 0);
        byte[] data = Chunks.random(10_000, 4);
        ContentId id = Chunks.idOf(data);
        try (ChunkStore.ChunkWriter w = store.beginWrite(id, data.length)) {
            w.write(ByteBuffer.wrap(data));
            w.commit();
        }
        Files.write(store.pathOf(id), java.util.Arrays.copyOf(data, 5000));
        List<ContentId> told = new ArrayList<>();
        store.onQuarantine(told::add);
        assertThatThrownBy(() -> store.readVerified(id))
                .isInstanceOf(MeshException.class)
                .satisfies(e -> assertThat(((MeshException) e).kind()).isEqualTo(ErrorKind.DATA_LOSS));
        assertThat(store.contains(id)).isFalse();
        assertThat(told).containsExactly(id);
        assertThat(files(dir.resolve("quarantine"))).hasSize(1);
        assertThatThrownBy(() -> store.openVerified(id))
                .satisfies(e -> assertThat(((MeshException) e).kind()).isEqualTo(ErrorKind.NOT_FOUND));
    }

    @Test
    void concurrentCommitsOfTheSameChunk_storeItOnceAndCountItOnce() throws Exception {
        DiskChunkStore store = DiskChunkStore.open(dir, 0);
        byte[] data = Chunks.random(200_000, 5);
        ContentId id = Chunks.idOf(data);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Callable<Boolean> write = () -> {
                    try (ChunkStore.ChunkWriter w = store.beginWrite(id, data.length)) {
                        w.write(ByteBuffer.wrap(data));
                        return w.commit();
                    }
                };
                results.add(pool.submit(write));
            }
            int stored = 0;
            for (Future<Boolean> f : results) {
                stored += f.get() ? 1 : 0;
            }
            assertThat(stored).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.stats().chunks()).isEqualTo(1);
        assertThat(store.stats().bytes()).isEqualTo(data.length);
        assertThat(store.stats().reservedBytes()).isZero();
        assertThat(files(dir.resolve("tmp"))).isEmpty();
    }

    @Test
    void beginWrite_overQuota_isResourceExhaustedCountingWritesInFlight() {
        DiskChunkStore store = DiskChunkStore.open(dir, 1000);
        ChunkStore.ChunkWriter inFlight = store.beginWrite(ContentId.random(), 600);
        assertThatThrownBy(() -> store.beginWrite(ContentId.random(), 500))
                .satisfies(e -> assertThat(((MeshException) e).kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED))
                .hasMessageContaining("quota");
        inFlight.close();
        store.beginWrite(ContentId.random(), 1000).close();
        assertThat(store.stats().reservedBytes()).isZero();
    }

    @Test
    void restart_recountsWhatIsStored() {
        DiskChunkStore store = DiskChunkStore.open(dir, 0);
        for (int i = 0; i < 5; i++) {
            byte[] d = Chunks.random(1000 + i, 10 + i);
            try (ChunkStore.ChunkWriter w = store.beginWrite(Chunks.idOf(d), d.length)) {
                w.write(ByteBuffer.wrap(d));
                w.commit();
            }
        }
        ChunkStore.StoreStats s = DiskChunkStore.open(dir, 0).stats();
        assertThat(s.chunks()).isEqualTo(5);
        assertThat(s.bytes()).isEqualTo(5 * 1000 + 10);
    }

    private static List<Path> files(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.toList();
        }
    }
}
