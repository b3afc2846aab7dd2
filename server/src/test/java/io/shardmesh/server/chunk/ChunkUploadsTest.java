package io.shardmesh.server.chunk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.SignedAction;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.server.meta.MetadataDb;
import io.shardmesh.server.store.ChunkStore;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.Chunks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * An upload whose caller goes away at any moment keeps nothing: no temp file, no reserved quota.
 * (A writer opened in a callable ahead of {@code Mono.using} was dropped unclosed when the caller
 * left while it opened: the temp file and the reservation stayed until a restart.)
 */
class ChunkUploadsTest {

    @TempDir
    Path dir;

    private MetadataDb db;

    @AfterEach
    void stop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void write_cancelledWhileTheWriterOpens_removesTheTempFileAndTheReservation() throws Exception {
        // The store's beginWrite waits for a permit: the caller leaves while the writer is being opened.
        ChunkStore disk = ChunkStore.open(dir, 0);
        CountDownLatch opening = new CountDownLatch(1);
        Semaphore gate = new Semaphore(0);
        ChunkStore store = (ChunkStore) Proxy.newProxyInstance(ChunkStore.class.getClassLoader(),
                new Class<?>[] {ChunkStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("beginWrite")) {
                        opening.countDown();
                        gate.acquireUninterruptibly();
                    }
                    try {
                        return method.invoke(disk, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        db = MetadataDb.open(dir);
        ChunkService chunks = ChunkService.create(store, db, ChunkConfig.defaults(), Clock.systemUTC(), Schedulers.parallel(),
                Schedulers.boundedElastic(), NodeId.random());
        byte[] data = Chunks.random(100_000, 3);
        ContentId id = Chunks.idOf(data);

        Disposable upload = chunks.uploads().write(new ChunkUpload(id, data.length, Optional.empty()),
                Flux.just(ByteBuffer.wrap(data))).subscribe(r -> { }, e -> { });
        assertThat(opening.await(20, TimeUnit.SECONDS)).isTrue();
        upload.dispose();
        gate.release();

        Await.until("the abandoned upload's temp file and reservation to go", Duration.ofSeconds(20), () -> {
            try (var tmp = Files.list(dir.resolve("tmp"))) {
                return tmp.findAny().isEmpty() && disk.stats().reservedBytes() == 0;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertThat(disk.contains(id)).isFalse();
    }

    @Test
    void abort_deletesWhatTheSessionUploadedThatNobodyPinned_andKeepsPinnedOrSharedChunks() {
        ChunkStore store = ChunkStore.open(dir, 0);
        ChunkService chunks = chunks(store);
        String session = "0123456789abcdef0123456789abcdef";
        String other = "fedcba9876543210fedcba9876543210";
        byte[] lone = Chunks.random(1000, 1);
        byte[] pinned = Chunks.random(1000, 2);
        byte[] shared = Chunks.random(1000, 3);
        upload(chunks, lone, session);
        upload(chunks, pinned, session);
        upload(chunks, shared, session);
        upload(chunks, shared, other);
        ContentId file = ContentId.random();
        NodeKey owner = NodeKey.generate();
        chunks.pins().pin(file, List.of(Chunks.idOf(pinned)),
                owner.prove(SignedAction.pin(file, List.of(Chunks.idOf(pinned))), System.currentTimeMillis()))
                .block(Duration.ofSeconds(10));

        ChunkUploads.AbortResult r = chunks.uploads().abort(session).block(Duration.ofSeconds(10));

        assertThat(r.deletedChunks()).isEqualTo(1);
        assertThat(r.freedBytes()).isEqualTo(1000);
        assertThat(store.contains(Chunks.idOf(lone))).isFalse();
        assertThat(store.contains(Chunks.idOf(pinned))).as("pinned").isTrue();
        assertThat(store.contains(Chunks.idOf(shared))).as("another live session uploaded it too").isTrue();
        assertThat(chunks.uploads().abort(session).block(Duration.ofSeconds(10)).deletedChunks()).as("ended already").isZero();
    }

    @Test
    void upload_landingAfterItsSessionWasAborted_isTakenBackAtOnce() {
        ChunkStore store = ChunkStore.open(dir, 0);
        ChunkService chunks = chunks(store);
        String session = "0123456789abcdef0123456789abcdef";
        byte[] early = Chunks.random(1000, 4);
        byte[] late = Chunks.random(1000, 5);
        upload(chunks, early, session);
        // The writer's put failed: it aborts while one of its uploads is still on its way.
        chunks.uploads().abort(session).block(Duration.ofSeconds(10));
        upload(chunks, late, session);

        assertThat(store.contains(Chunks.idOf(early))).isFalse();
        assertThat(store.contains(Chunks.idOf(late))).as("the upload that landed after the abort").isFalse();
        assertThat(store.stats().bytes()).isZero();
        // Another session storing the same bytes keeps them.
        upload(chunks, late, "fedcba9876543210fedcba9876543210");
        assertThat(store.contains(Chunks.idOf(late))).isTrue();
    }

    @Test
    void whileNewChunksAreRefused_uploadsAndPinsFailUnavailable_andStoreNothing() {
        ChunkStore store = ChunkStore.open(dir, 0);
        ChunkService chunks = chunks(store);
        byte[] held = Chunks.random(1000, 6);
        byte[] fresh = Chunks.random(1000, 7);
        upload(chunks, held, "0123456789abcdef0123456789abcdef");
        ContentId file = ContentId.random();
        NodeKey owner = NodeKey.generate();
        List<ContentId> ids = List.of(Chunks.idOf(held));

        chunks.pins().refuseNew("this node is draining").block(Duration.ofSeconds(10));

        assertThatThrownBy(() -> upload(chunks, fresh, "fedcba9876543210fedcba9876543210"))
                .isInstanceOf(MeshException.class).hasMessageContaining("draining")
                .satisfies(e -> assertThat(((MeshException) e).kind()).isEqualTo(io.shardmesh.common.error.ErrorKind.UNAVAILABLE));
        assertThatThrownBy(() -> chunks.pins().pin(file, ids, owner.prove(SignedAction.pin(file, ids), System.currentTimeMillis()))
                .block(Duration.ofSeconds(10))).isInstanceOf(MeshException.class).hasMessageContaining("draining");
        assertThat(store.contains(Chunks.idOf(fresh))).isFalse();
        assertThat(chunks.pins().pinnedFileIds().block(Duration.ofSeconds(10))).isEmpty();

        chunks.pins().acceptNew();
        upload(chunks, fresh, "fedcba9876543210fedcba9876543210");
        assertThat(chunks.pins().pin(file, ids, owner.prove(SignedAction.pin(file, ids), System.currentTimeMillis()))
                .block(Duration.ofSeconds(10)).pinned()).isEqualTo(1);
        assertThat(store.contains(Chunks.idOf(fresh))).isTrue();
    }

    @Test
    void aFileFirstPinnedForARepair_isKnownAsAdopted_andAPutPinIsNot() {
        ChunkStore store = ChunkStore.open(dir, 0);
        ChunkService chunks = chunks(store);
        byte[] a = Chunks.random(1000, 8);
        byte[] b = Chunks.random(1000, 9);
        upload(chunks, a, "0123456789abcdef0123456789abcdef");
        upload(chunks, b, "0123456789abcdef0123456789abcdef");
        NodeKey owner = NodeKey.generate();
        ContentId repaired = ContentId.random();
        ContentId put = ContentId.random();

        chunks.pins().pinAuthorized(repaired, owner.id(), List.of(Chunks.idOf(a))).block(Duration.ofSeconds(10));
        List<ContentId> ids = List.of(Chunks.idOf(b));
        chunks.pins().pin(put, ids, owner.prove(SignedAction.pin(put, ids), System.currentTimeMillis())).block(Duration.ofSeconds(10));
        // A repair pin of a file already pinned here by its put does not make it adopted.
        chunks.pins().pinAuthorized(put, owner.id(), List.of(Chunks.idOf(a))).block(Duration.ofSeconds(10));

        assertThat(chunks.pins().adoptedByRepair(repaired)).isTrue();
        assertThat(chunks.pins().adoptedByRepair(put)).isFalse();
    }

    private ChunkService chunks(ChunkStore store) {
        db = MetadataDb.open(dir);
        return ChunkService.create(store, db, ChunkConfig.defaults(), Clock.systemUTC(), Schedulers.parallel(),
                Schedulers.boundedElastic(), NodeId.random());
    }

    private static void upload(ChunkService chunks, byte[] bytes, String session) {
        chunks.uploads().write(new ChunkUpload(Chunks.idOf(bytes), bytes.length, Optional.empty(), Optional.of(session)),
                Flux.just(ByteBuffer.wrap(bytes))).block(Duration.ofSeconds(10));
    }
}
