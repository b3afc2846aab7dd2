package io.shardmesh.server.chunk;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.shardmesh.common.crypto.OwnerProof;
import io.shardmesh.common.crypto.SignedAction;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.server.meta.MetadataDb;
import io.shardmesh.server.store.ChunkStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SynchronousSink;
import reactor.core.scheduler.Scheduler;

/**
 * A node's chunk operations. Disk and database work runs on the given blocking scheduler
 * (boundedElastic in production); nothing here blocks the caller's thread.
 */
public final class ChunkService {

    private final Logger log;

    /** An upload that sends nothing for this long is abandoned: its reservation and temp file go. */
    public static final java.time.Duration UPLOAD_IDLE_TIMEOUT = java.time.Duration.ofSeconds(60);

    private final ChunkStore store;
    private final MetadataDb db;
    private final ChunkConfig config;
    private final Clock clock;
    private final Scheduler blocking;
    private final Cache<ContentId, byte[]> hot;
    /** Told the file id whenever the pins under it change (the node re-announces what it holds). */
    private final java.util.List<java.util.function.Function<ContentId, Mono<Void>>> pinListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Pin and garbage collection exclude each other, so a chunk is never collected as it is pinned. */
    private final Object pinLock = new Object();

    public ChunkService(ChunkStore store, MetadataDb db, ChunkConfig config, Clock clock, Scheduler blocking) {
        this(store, db, config, clock, blocking, NodeLog.logger(ChunkService.class));
    }

    /** A chunk service of the node {@code node}, whose id tags its log lines. */
    public ChunkService(ChunkStore store, MetadataDb db, ChunkConfig config, Clock clock, Scheduler blocking,
            NodeId node) {
        this(store, db, config, clock, blocking, NodeLog.logger(ChunkService.class, node));
    }

    private ChunkService(ChunkStore store, MetadataDb db, ChunkConfig config, Clock clock, Scheduler blocking,
            Logger log) {
        this.log = log;
        this.store = requireNonNull(store, "store");
        this.db = requireNonNull(db, "db");
        this.config = requireNonNull(config, "config");
        this.clock = requireNonNull(clock, "clock");
        this.blocking = requireNonNull(blocking, "blocking");
        this.hot = Caffeine.newBuilder()
                .maximumWeight(config.hotCacheBytes())
                .weigher((ContentId id, byte[] bytes) -> bytes.length)
                .build();
        store.onQuarantine(hot::invalidate);
    }

    /**
     * Runs {@code listener} with the file id after pins under it were added or removed; Pin and
     * Unpin answer once it completes (the node announces what it holds before the writer is told).
     */
    public void onPinsChanged(java.util.function.Function<ContentId, Mono<Void>> listener) {
        pinListeners.add(listener);
    }

    private Mono<Void> pinsChanged(ContentId fileId) {
        return Flux.fromIterable(pinListeners)
                .concatMap(l -> Mono.defer(() -> l.apply(fileId)).onErrorResume(e -> {
                    log.warn("announcing the pins of {} failed: {}", fileId, e.getMessage());
                    return Mono.empty();
                }))
                .then();
    }

    /** A whole small chunk (a manifest), verified. */
    public Mono<byte[]> readWhole(ContentId id) {
        return Mono.fromCallable(() -> store.readVerified(id)).subscribeOn(blocking);
    }

    /** The chunk ids pinned under {@code fileId} here. */
    public Mono<List<ContentId>> pinnedChunks(ContentId fileId) {
        return Mono.fromCallable(() -> db.chunksOf(fileId)).subscribeOn(blocking);
    }

    /** The settings. */
    public ChunkConfig config() {
        return config;
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
            long end = length == 0 ? size : Math.min(size, offset + length);
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

    /**
     * Stores an upload: checks the quota before writing, writes frames as they arrive, and makes
     * the chunk visible only after size and hash checked out. A chunk held already is not
     * uploaded again: the result says so and the remaining frames are not read.
     */
    public Mono<PutResult> write(ChunkUpload upload, Flux<ByteBuffer> frames) {
        return Mono.defer(() -> doWrite(upload, frames));
    }

    private Mono<PutResult> doWrite(ChunkUpload upload, Flux<ByteBuffer> frames) {
        ContentId id = upload.chunkId();
        if (upload.size() > config.maxChunkBytes()) {
            return Mono.error(MeshException.invalidArgument("chunk " + id + " of " + upload.size()
                    + " bytes is larger than this node's limit of " + config.maxChunkBytes() + " bytes"));
        }
        if (upload.size() < 0) {
            return Mono.error(MeshException.invalidArgument("chunk size must not be negative, got " + upload.size()));
        }
        long now = clock.millis();
        // Checked before any byte is written, so a forged pin costs the uploader nothing of ours.
        NodeId pinOwner = upload.pinTo()
                .map(p -> p.owner().verify(SignedAction.pin(p.fileId(), List.of(id)), now))
                .orElse(null);
        return Mono.fromCallable(() -> {
            synchronized (pinLock) {
                // Under the pin lock, so garbage collection cannot take it between this check and
                // the touch that restarts its grace period.
                if (store.contains(id)) {
                    store.touch(id);
                    return (ChunkStore.ChunkWriter) null;
                }
            }
            return store.beginWrite(id, upload.size());
        }).subscribeOn(blocking).flatMap(writer -> Mono.using(() -> writer,
                w -> frames.timeout(UPLOAD_IDLE_TIMEOUT, Mono.error(() -> MeshException.deadlineExceeded(
                                "no data for chunk " + id + " in " + UPLOAD_IDLE_TIMEOUT.toSeconds() + " s; upload abandoned")))
                        .publishOn(blocking, 4)
                        .doOnNext(frame -> {
                            if (frame.remaining() > ChunkConfig.MAX_FRAME_BYTES) {
                                throw MeshException.invalidArgument("a data frame carries " + frame.remaining()
                                        + " bytes; frames are at most " + ChunkConfig.MAX_FRAME_BYTES);
                            }
                            w.write(frame);
                        })
                        .then(Mono.fromCallable(w::commit)),
                ChunkStore.ChunkWriter::close))
                .map(stored -> new PutResult(id, upload.size(), !stored))
                .switchIfEmpty(Mono.fromSupplier(() -> new PutResult(id, upload.size(), true)))
                .flatMap(result -> upload.pinTo().isEmpty() ? Mono.just(result)
                        : Mono.fromCallable(() -> {
                            PinResult pinned = pinHeld(upload.pinTo().get().fileId(), pinOwner, List.of(id), now);
                            if (!pinned.missing().isEmpty()) {
                                throw MeshException.unavailable("chunk " + id + " was collected before it could be pinned; upload it again");
                            }
                            return result;
                        }).subscribeOn(blocking).flatMap(r -> pinsChanged(upload.pinTo().get().fileId()).thenReturn(r)));
    }

    /** Which of {@code ids} are stored, in request order. */
    public Mono<List<ContentId>> has(List<ContentId> ids) {
        if (ids.size() > config.maxBatch()) {
            return Mono.error(tooMany(ids.size()));
        }
        return Mono.fromCallable(() -> ids.stream().filter(store::contains).distinct().toList()).subscribeOn(blocking);
    }

    /** Pins the held ones of {@code chunks} under {@code fileId} for the proven owner. */
    public Mono<PinResult> pin(ContentId fileId, List<ContentId> chunks, OwnerProof owner) {
        if (chunks.size() > config.maxBatch()) {
            return Mono.error(tooMany(chunks.size()));
        }
        return Mono.fromCallable(() -> {
            long now = clock.millis();
            NodeId signer = owner.verify(SignedAction.pin(fileId, chunks), now);
            return pinHeld(fileId, signer, chunks, now);
        }).subscribeOn(blocking).flatMap(r -> r.pinned() == 0 ? Mono.just(r) : pinsChanged(fileId).thenReturn(r));
    }

    private PinResult pinHeld(ContentId fileId, NodeId owner, List<ContentId> chunks, long now) {
        synchronized (pinLock) {
            List<ContentId> held = new ArrayList<>();
            List<ContentId> missing = new ArrayList<>();
            for (ContentId c : new LinkedHashSet<>(chunks)) {
                (store.contains(c) ? held : missing).add(c);
            }
            db.addPins(fileId, owner, held, now);
            return new PinResult(held.size(), missing);
        }
    }

    /**
     * Removes the proven owner's pins under {@code fileId} (on {@code chunks}, or all when empty).
     * Pins by another owner cannot be removed: PERMISSION_DENIED.
     */
    public Mono<Integer> unpin(ContentId fileId, List<ContentId> chunks, OwnerProof owner) {
        if (chunks.size() > config.maxBatch()) {
            return Mono.error(tooMany(chunks.size()));
        }
        return Mono.fromCallable(() -> {
            NodeId signer = owner.verify(SignedAction.unpin(fileId, chunks), clock.millis());
            synchronized (pinLock) {
                Set<NodeId> owners = db.pinOwners(fileId);
                if (!owners.isEmpty() && !owners.contains(signer)) {
                    throw MeshException.permissionDenied("file " + fileId + " was pinned by another owner; "
                            + signer + " may not unpin it");
                }
                return db.removePins(fileId, signer, chunks);
            }
        }).subscribeOn(blocking).flatMap(n -> n == 0 ? Mono.just(n) : pinsChanged(fileId).thenReturn(n));
    }

    /**
     * Deletes every chunk that no pin references and that arrived more than the grace period ago.
     *
     * @return how many chunks and bytes were collected
     */
    public Mono<GcResult> collectGarbage() {
        return Mono.fromCallable(() -> {
            Instant cutoff = clock.instant().minus(config.gcGrace());
            Set<ContentId> pinned = db.pinnedChunks();
            List<ChunkStore.StoredChunk> candidates = new ArrayList<>();
            store.forEach(c -> {
                if (!pinned.contains(c.id()) && c.storedAt().isBefore(cutoff)) {
                    candidates.add(c);
                }
            });
            long chunks = 0;
            long bytes = 0;
            for (ChunkStore.StoredChunk c : candidates) {
                synchronized (pinLock) {
                    // Re-checked under the lock: a Pin may have arrived, or the chunk been uploaded
                    // again (which restarts its grace period), since the snapshot above.
                    boolean young = store.storedAt(c.id()).map(t -> !t.isBefore(cutoff)).orElse(true);
                    if (!young && !db.isPinned(c.id()) && store.delete(c.id())) {
                        hot.invalidate(c.id());
                        chunks++;
                        bytes += c.size();
                    }
                }
            }
            if (chunks > 0) {
                log.info("garbage collection removed {} unpinned chunk(s), {} bytes", chunks, bytes);
            }
            return new GcResult(chunks, bytes);
        }).subscribeOn(blocking);
    }

    /** What the store holds now (cheap; no disk access). */
    public ChunkStore.StoreStats stats() {
        return store.stats();
    }

    /** How many files have pins on this node. */
    public Mono<Long> pinnedFiles() {
        return Mono.fromCallable(db::pinnedFileCount).subscribeOn(blocking);
    }

    private MeshException tooMany(int n) {
        return MeshException.invalidArgument("a batch names " + n + " chunk ids; at most " + config.maxBatch() + " are allowed");
    }

    /** Outcome of an upload. */
    public record PutResult(ContentId chunkId, long size, boolean alreadyPresent) {
    }

    /** Outcome of a pin. */
    public record PinResult(int pinned, List<ContentId> missing) {
        public PinResult {
            missing = List.copyOf(missing);
        }
    }

    /** Outcome of a garbage collection. */
    public record GcResult(long chunks, long bytes) {
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
            // A read-only view: the cached array is shared by every reader and never copied.
            return ByteBuffer.wrap(bytes, (int) position, length).slice().asReadOnlyBuffer();
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
