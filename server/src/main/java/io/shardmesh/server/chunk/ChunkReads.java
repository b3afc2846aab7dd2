package io.shardmesh.server.chunk;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.server.store.ChunkStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SynchronousSink;
import reactor.core.scheduler.Scheduler;

/**
 * Serves a node's chunks: every byte verified against its id before it leaves, small chunks
 * from a Caffeine cache bounded in bytes, large ones streamed from disk on demand. Disk work
 * runs on the blocking scheduler; nothing here blocks the caller's thread.
 */
public final class ChunkReads {

    private final ChunkStore store;
    private final ChunkConfig config;
    private final Scheduler blocking;
    private final Cache<ContentId, byte[]> hot;

    public ChunkReads(ChunkStore store, ChunkConfig config, Scheduler blocking) {
        this.store = requireNonNull(store, "store");
        this.config = requireNonNull(config, "config");
        this.blocking = requireNonNull(blocking, "blocking");
        this.hot = Caffeine.newBuilder()
                .maximumWeight(config.hotCacheBytes())
                .weigher((ContentId id, byte[] bytes) -> bytes.length)
                .build();
        store.onQuarantine(hot::invalidate);
    }

    /** A whole small chunk (a manifest), verified. */
    public Mono<byte[]> readWhole(ContentId id) {
        return Mono.fromCallable(() -> store.readVerified(id)).subscribeOn(blocking);
    }

    /** Which of {@code ids} are stored, in request order. */
    public Mono<List<ContentId>> has(List<ContentId> ids) {
        if (ids.size() > ProtocolLimits.MAX_BATCH_IDS) {
            return Mono.error(Pins.tooMany(ids.size()));
        }
        return Mono.fromCallable(() -> ids.stream().filter(store::contains).distinct().toList()).subscribeOn(blocking);
    }

    /** Which of {@code ids} are stored (no batch limit: for the node's own bookkeeping). */
    public Mono<List<ContentId>> held(Collection<ContentId> ids) {
        return Mono.fromCallable(() -> ids.stream().filter(store::contains).distinct().toList()).subscribeOn(blocking);
    }

    /** Every stored chunk with its size (one walk of the store). */
    public Mono<List<ChunkStore.StoredChunk>> stored() {
        return Mono.fromCallable(() -> {
            List<ChunkStore.StoredChunk> out = new ArrayList<>();
            store.forEach(out::add);
            return out;
        }).subscribeOn(blocking);
    }

    /**
     * Re-hashes a stored chunk from disk (the hot cache is not asked).
     *
     * @return false when it did not match its id and was quarantined, empty when it is gone
     */
    public Mono<Boolean> verify(ContentId id) {
        return Mono.fromCallable(() -> {
            try (ChunkStore.ChunkReader r = store.openVerified(id)) {
                return true;
            } catch (MeshException e) {
                if (e.kind() == ErrorKind.DATA_LOSS) {
                    return false;
                }
                if (e.kind() == ErrorKind.NOT_FOUND) {
                    return null;
                }
                throw e;
            }
        }).subscribeOn(blocking);
    }

    /** What the store holds now (cheap; no disk access). */
    public ChunkStore.StoreStats stats() {
        return store.stats();
    }

    /** Drops a chunk that is gone from disk from the cache. */
    void forget(ContentId id) {
        hot.invalidate(id);
    }

    /**
     * Streams a verified chunk, or {@code length} bytes of it from {@code offset} ({@code length}
     * 0: to the end). At least one frame is emitted, so a reader always learns the chunk's size.
     * Frames are produced on demand: a slow reader holds one frame, never the chunk.
     */
    public Flux<ChunkFrame> read(ContentId id, long offset, long length) {
        if (offset < 0 || length < 0) {
            return Flux.error(MeshException.invalidArgument("offset and length must not be negative, got offset "
                    + offset + " and length " + length));
        }
        // The source is opened inside Flux.using, so a cancel at any point (even while the
        // chunk is being verified) closes it; the whole stream runs on the blocking scheduler
        // because disk sources read on demand.
        return Flux.using(() -> open(id), source -> {
            long size = source.size();
            if (offset > size) {
                return Flux.error(MeshException.outOfRange("offset " + offset + " is past the end of chunk "
                        + id + " (" + size + " bytes)"));
            }
            // Not offset + length: a length near Long.MAX_VALUE from the wire overflows it (fuzz).
            long end = length == 0 || length > size - offset ? size : offset + length;
            return Flux.generate(() -> offset, (Long pos, SynchronousSink<ChunkFrame> sink) -> {
                int n = (int) Math.min(config.frameBytes(), end - pos);
                sink.next(new ChunkFrame(source.read(pos, n), pos, size));
                if (pos + n >= end) {
                    sink.complete();
                }
                return pos + n;
            });
        }, Source::close).subscribeOn(blocking);
    }

    private Source open(ContentId id) {
        byte[] cached = hot.getIfPresent(id);
        if (cached != null) {
            return new MemorySource(cached);
        }
        long size = store.size(id).orElseThrow(() -> MeshException.notFound("chunk " + id + " is not stored on this node"));
        if (size <= config.hotEntryMaxBytes()) {
            byte[] bytes = store.readVerified(id);
            if (config.hotCacheBytes() > 0) {
                hot.put(id, bytes);
            }
            return new MemorySource(bytes);
        }
        return new DiskSource(store.openVerified(id));
    }

    private interface Source extends AutoCloseable {
        long size();

        ByteBuffer read(long position, int length);

        @Override
        void close();
    }

    private record MemorySource(byte[] bytes) implements Source {
        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public ByteBuffer read(long position, int length) {
            // A view of the cached array, which every reader shares and nothing copies. Not a
            // read-only one: protobuf wraps an array-backed buffer as the array and writes it to
            // gRPC's framer in one piece, a read-only one through a 4 KiB copy loop (JMH
            // FrameBenchmark, 256 KiB: 19,800 frames/s read-only, 153,000/s from the array). Frames
            // are only ever read (ChunkFrame says so).
            return ByteBuffer.wrap(bytes, (int) position, length).slice();
        }

        @Override
        public void close() {
        }
    }

    private record DiskSource(ChunkStore.ChunkReader reader) implements Source {
        @Override
        public long size() {
            return reader.size();
        }

        @Override
        public ByteBuffer read(long position, int length) {
            return reader.read(position, length);
        }

        @Override
        public void close() {
            reader.close();
        }
    }
}
