package io.shardmesh.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.shardmesh.common.grpc.StreamFlow;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.proto.v1.ReactorChunksGrpc;
import io.shardmesh.server.chunk.ChunkConfig;
import io.shardmesh.server.chunk.ChunkService;
import io.shardmesh.server.meta.MetadataDb;
import io.shardmesh.server.store.ChunkStore;
import io.shardmesh.server.testing.Chunks;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.scheduler.Schedulers;
import io.shardmesh.server.repair.RepairPins;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** A slow GetChunk reader slows the server's disk reads; the server never reads the chunk ahead. */
class GetChunkBackpressureTest {

    @TempDir
    Path dir;

    @Test
    void getChunk_slowReader_serverReadsOnlyAFewFramesAhead() throws Exception {
        byte[] data = Chunks.random(16 << 20, 1);
        ContentId id = Chunks.idOf(data);
        AtomicInteger framesRead = new AtomicInteger();
        ChunkStore store = new CountingStore(ChunkStore.open(dir, 0), framesRead);
        try (ChunkStore.ChunkWriter w = store.beginWrite(id, data.length)) {
            w.write(ByteBuffer.wrap(data));
            w.commit();
        }
        MetadataDb db = MetadataDb.open(dir);
        // No hot cache: every frame is a disk read we can count.
        ChunkService chunks = ChunkService.create(store, db, ChunkConfig.defaults().withHotCache(0, 0),
                Clock.systemUTC(), Schedulers.parallel(), Schedulers.boundedElastic(), NodeId.random());
        String name = InProcessServerBuilder.generateName();
        Server server = InProcessServerBuilder.forName(name).addService(new ChunksGrpcService(chunks.reads(), chunks.uploads(), chunks.pins(),
                new RepairPins(chunks.pins(), file -> Mono.error(new IllegalStateException("no repair pins here")), Clock.systemUTC(),
                        org.slf4j.LoggerFactory.getLogger(GetChunkBackpressureTest.class)))).build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        try {
            int totalFrames = data.length / ChunkConfig.DEFAULT_FRAME_BYTES;
            var stub = StreamFlow.chunkStreams(ReactorChunksGrpc.newReactorStub(channel)).withDeadlineAfter(60, TimeUnit.SECONDS);
            StepVerifier.create(stub.getChunk(GetChunkRequest.newBuilder().setChunkId(id.hex()).build()), 0)
                    .thenRequest(2)
                    .expectNextCount(2)
                    // Time for a server without flow control to read the whole chunk.
                    .thenAwait(Duration.ofMillis(500))
                    .then(() -> assertThat(framesRead.get())
                            .as("frames read from disk while the client had taken 2 of %d", totalFrames)
                            .isLessThan(totalFrames / 2))
                    .thenRequest(Long.MAX_VALUE)
                    .expectNextCount(totalFrames - 2)
                    .verifyComplete();
            assertThat(framesRead.get()).isEqualTo(totalFrames);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            db.close();
        }
    }

    /** Counts the frame reads of a real store. */
    private record CountingStore(ChunkStore delegate, AtomicInteger reads) implements ChunkStore {
        @Override
        public boolean contains(ContentId id) {
            return delegate.contains(id);
        }

        @Override
        public OptionalLong size(ContentId id) {
            return delegate.size(id);
        }

        @Override
        public byte[] readVerified(ContentId id) {
            return delegate.readVerified(id);
        }

        @Override
        public ChunkReader openVerified(ContentId id) {
            ChunkReader r = delegate.openVerified(id);
            return new ChunkReader() {
                @Override
                public long size() {
                    return r.size();
                }

                @Override
                public ByteBuffer read(long position, int length) {
                    reads.incrementAndGet();
                    return r.read(position, length);
                }

                @Override
                public void close() {
                    r.close();
                }
            };
        }

        @Override
        public ChunkWriter beginWrite(ContentId id, long size) {
            return delegate.beginWrite(id, size);
        }

        @Override
        public boolean delete(ContentId id) {
            return delegate.delete(id);
        }

        @Override
        public void forEach(Consumer<StoredChunk> visitor) {
            delegate.forEach(visitor);
        }

        @Override
        public StoreStats stats() {
            return delegate.stats();
        }

        @Override
        public void onQuarantine(Consumer<ContentId> listener) {
            delegate.onQuarantine(listener);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
