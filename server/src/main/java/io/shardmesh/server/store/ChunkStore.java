package io.shardmesh.server.store;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Content-addressed chunk storage on one node. Every method blocks on disk: callers run them on
 * {@code Schedulers.boundedElastic()}, never on an event loop. Implementations are thread-safe.
 */
public interface ChunkStore extends AutoCloseable {

    /**
     * Opens the store in {@code dataDir}, deleting temp files a crash left behind.
     *
     * @param maxBytes the quota in bytes; 0 means unlimited
     */
    static ChunkStore open(Path dataDir, long maxBytes) {
        return DiskChunkStore.open(dataDir, maxBytes);
    }

    /** {@link #open(Path, long)} for the node {@code node}, whose id tags the store's log lines. */
    static ChunkStore open(Path dataDir, long maxBytes, NodeId node) {
        return DiskChunkStore.open(dataDir, maxBytes, NodeLog.logger(DiskChunkStore.class, node));
    }

    /** Whether the chunk is stored (not verified). */
    boolean contains(ContentId id);

    /** The stored chunk's size, if it is stored. */
    OptionalLong size(ContentId id);

    /**
     * Reads a whole chunk into memory and verifies it.
     *
     * @throws io.shardmesh.common.error.MeshException NOT_FOUND when absent; DATA_LOSS when the
     *     bytes do not match the id (the copy is then quarantined)
     */
    byte[] readVerified(ContentId id);

    /**
     * Verifies a chunk on disk by streaming it through SHA-256, then opens it for reading.
     *
     * @throws io.shardmesh.common.error.MeshException NOT_FOUND or DATA_LOSS as {@link #readVerified}
     */
    ChunkReader openVerified(ContentId id);

    /**
     * Starts writing a chunk of exactly {@code size} bytes. The bytes land in a temp file and
     * become visible only on {@link ChunkWriter#commit()}.
     *
     * @throws io.shardmesh.common.error.MeshException RESOURCE_EXHAUSTED when the quota has no
     *     room for {@code size} more bytes (nothing is written)
     */
    ChunkWriter beginWrite(ContentId id, long size);

    /** Deletes a chunk; false if it was not there. */
    boolean delete(ContentId id);

    /** Calls {@code visitor} for every stored chunk, with its size. */
    void forEach(Consumer<StoredChunk> visitor);

    /** Count, bytes and quota. */
    StoreStats stats();

    /** Called with the id of every chunk quarantined for not matching its id (repair listens here). */
    void onQuarantine(Consumer<ContentId> listener);

    @Override
    void close();

    /** A chunk on disk. */
    record StoredChunk(ContentId id, long size) {
    }

    /** What the store holds. */
    record StoreStats(long chunks, long bytes, long reservedBytes, long maxBytes) {
    }

    /** Reads a verified chunk; positional, so one reader serves one stream. */
    interface ChunkReader extends AutoCloseable {

        /** The chunk's size. */
        long size();

        /** Reads up to {@code length} bytes from {@code position}; fewer only at the end. */
        ByteBuffer read(long position, int length);

        @Override
        void close();
    }

    /** An in-progress write. Closing it without committing discards it. */
    interface ChunkWriter extends AutoCloseable {

        /** Appends bytes. Writing past the declared size is INVALID_ARGUMENT. */
        void write(ByteBuffer data);

        /** Bytes written so far. */
        long written();

        /**
         * Checks size and hash, fsyncs, and atomically makes the chunk visible.
         *
         * @return true if stored, false if an identical copy was already there
         * @throws io.shardmesh.common.error.MeshException INVALID_ARGUMENT for a size mismatch,
         *     DATA_LOSS when the bytes do not hash to the id; nothing is kept in either case
         */
        boolean commit();

        @Override
        void close();
    }
}
