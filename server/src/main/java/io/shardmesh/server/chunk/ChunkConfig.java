package io.shardmesh.server.chunk;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.protocol.ProtocolLimits;
import java.time.Duration;

/**
 * Settings of a node's chunk handling.
 *
 * @param maxChunkBytes largest chunk a node accepts (manifests of very large files are chunks
 *     too); at most {@link ProtocolLimits#MAX_CHUNK_BYTES}
 * @param frameBytes bytes per GetChunk frame; small frames keep memory per slow stream small
 * @param hotCacheBytes bound of the in-memory cache of verified hot chunks
 * @param hotEntryMaxBytes chunks up to this size are read whole, verified and cached; larger
 *     ones are verified by streaming and served from disk
 * @param gcGrace how long an unpinned chunk is kept after it arrived (a writer pins at the end)
 * @param gcInterval how often garbage collection runs
 * @param uploadIdleTimeout an upload that sends nothing for this long is abandoned: its
 *     reservation and temp file go
 */
public record ChunkConfig(long maxChunkBytes, int frameBytes, long hotCacheBytes, int hotEntryMaxBytes,
                          Duration gcGrace, Duration gcInterval, Duration uploadIdleTimeout) {

    public static final long DEFAULT_MAX_CHUNK_BYTES = ProtocolLimits.MAX_CHUNK_BYTES;
    public static final int DEFAULT_FRAME_BYTES = ProtocolLimits.CHUNK_FRAME_BYTES;
    public static final long DEFAULT_HOT_CACHE_BYTES = 64L << 20;
    public static final int DEFAULT_HOT_ENTRY_MAX_BYTES = 4 << 20;
    public static final Duration DEFAULT_GC_GRACE = Duration.ofHours(1);
    public static final Duration DEFAULT_GC_INTERVAL = Duration.ofMinutes(10);
    public static final Duration DEFAULT_UPLOAD_IDLE_TIMEOUT = Duration.ofSeconds(60);

    public ChunkConfig {
        if (maxChunkBytes < 1 || maxChunkBytes > ProtocolLimits.MAX_CHUNK_BYTES) {
            throw new IllegalArgumentException("max chunk size must be 1.." + ProtocolLimits.MAX_CHUNK_BYTES
                    + " bytes, got " + maxChunkBytes);
        }
        if (frameBytes < 1 || frameBytes > ProtocolLimits.MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("frame size must be 1.." + ProtocolLimits.MAX_FRAME_BYTES + ", got " + frameBytes);
        }
        if (hotCacheBytes < 0 || hotEntryMaxBytes < 0) {
            throw new IllegalArgumentException("cache sizes must not be negative");
        }
        requireNonNull(gcGrace, "gcGrace");
        requireNonNull(gcInterval, "gcInterval");
        requireNonNull(uploadIdleTimeout, "uploadIdleTimeout");
        if (gcGrace.isNegative() || gcInterval.isNegative() || gcInterval.isZero()) {
            throw new IllegalArgumentException("gc grace must be >= 0 and gc interval > 0, got " + gcGrace + " and " + gcInterval);
        }
        if (uploadIdleTimeout.isNegative() || uploadIdleTimeout.isZero()) {
            throw new IllegalArgumentException("upload idle timeout must be positive, got " + uploadIdleTimeout);
        }
    }

    /** The defaults. */
    public static ChunkConfig defaults() {
        return new ChunkConfig(DEFAULT_MAX_CHUNK_BYTES, DEFAULT_FRAME_BYTES, DEFAULT_HOT_CACHE_BYTES,
                DEFAULT_HOT_ENTRY_MAX_BYTES, DEFAULT_GC_GRACE, DEFAULT_GC_INTERVAL, DEFAULT_UPLOAD_IDLE_TIMEOUT);
    }

    public ChunkConfig withGcGrace(Duration grace) {
        return new ChunkConfig(maxChunkBytes, frameBytes, hotCacheBytes, hotEntryMaxBytes, grace, gcInterval, uploadIdleTimeout);
    }

    public ChunkConfig withGcInterval(Duration interval) {
        return new ChunkConfig(maxChunkBytes, frameBytes, hotCacheBytes, hotEntryMaxBytes, gcGrace, interval, uploadIdleTimeout);
    }

    public ChunkConfig withMaxChunkBytes(long max) {
        return new ChunkConfig(max, frameBytes, hotCacheBytes, hotEntryMaxBytes, gcGrace, gcInterval, uploadIdleTimeout);
    }

    public ChunkConfig withHotCache(long cacheBytes, int entryMaxBytes) {
        return new ChunkConfig(maxChunkBytes, frameBytes, cacheBytes, entryMaxBytes, gcGrace, gcInterval, uploadIdleTimeout);
    }
}
