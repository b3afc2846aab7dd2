package io.shardmesh.common.transfer;

import java.time.Duration;

/**
 * Settings of the put and get pipelines.
 *
 * @param windowBytes stripe bytes in flight at once, put or get (memory is about this, whatever the file size);
 *     as many stripes as fit, at least one and at most {@link #MAX_WINDOW_STRIPES}
 * @param uploadAttempts nodes tried per shard before the put fails
 * @param manifestReplicas nodes that keep the manifest blob (the closest to the file id)
 * @param initialHedge hedge delay before any latency was observed
 * @param minHedge, maxHedge bounds of the adaptive hedge delay
 */
public record TransferConfig(long windowBytes, int uploadAttempts, int manifestReplicas, Duration initialHedge,
                             Duration minHedge, Duration maxHedge) {

    /** Four 4 MiB stripes (4 + 2, 1 MiB shards): enough to keep every holder busy on a LAN. */
    public static final long DEFAULT_WINDOW_BYTES = 16L << 20;
    /**
     * Stripes in flight at most, whatever their size: each holds k shard streams open, and a
     * node's GetChunk streams are bounded node-wide (128 by default), so sixteen gateway readers
     * of one node's files must fit (HostileFileReadCrowdIT: 16 stripes each did not).
     */
    public static final int MAX_WINDOW_STRIPES = 4;
    public static final int DEFAULT_UPLOAD_ATTEMPTS = 3;
    public static final int DEFAULT_MANIFEST_REPLICAS = 3;
    public static final int DEFAULT_K = 4;
    public static final int DEFAULT_M = 2;
    public static final int DEFAULT_SHARD_SIZE = 1 << 20;

    public static final Duration DEFAULT_INITIAL_HEDGE = Duration.ofMillis(500);
    public static final Duration DEFAULT_MIN_HEDGE = Duration.ofMillis(20);
    public static final Duration DEFAULT_MAX_HEDGE = Duration.ofSeconds(2);

    public TransferConfig {
        if (windowBytes < 1 || uploadAttempts < 1 || manifestReplicas < 1) {
            throw new IllegalArgumentException("transfer window, attempts and replicas must be positive, got "
                    + windowBytes + ", " + uploadAttempts + ", " + manifestReplicas);
        }
        java.util.Objects.requireNonNull(initialHedge, "initialHedge");
        java.util.Objects.requireNonNull(minHedge, "minHedge");
        java.util.Objects.requireNonNull(maxHedge, "maxHedge");
        if (minHedge.isNegative() || minHedge.isZero() || minHedge.compareTo(maxHedge) > 0
                || initialHedge.compareTo(minHedge) < 0 || initialHedge.compareTo(maxHedge) > 0) {
            throw new IllegalArgumentException("hedge delays must satisfy 0 < min <= initial <= max, got min " + minHedge
                    + ", initial " + initialHedge + ", max " + maxHedge);
        }
    }

    public static TransferConfig defaults() {
        return new TransferConfig(DEFAULT_WINDOW_BYTES, DEFAULT_UPLOAD_ATTEMPTS, DEFAULT_MANIFEST_REPLICAS,
                DEFAULT_INITIAL_HEDGE, DEFAULT_MIN_HEDGE, DEFAULT_MAX_HEDGE);
    }

    /** Stripes of {@code stripeBytes} in flight at once. */
    public int windowStripes(long stripeBytes) {
        return (int) Math.max(1, Math.min(MAX_WINDOW_STRIPES, windowBytes / Math.max(1, stripeBytes)));
    }

    public TransferConfig withHedge(Duration initial, Duration min, Duration max) {
        return new TransferConfig(windowBytes, uploadAttempts, manifestReplicas, initial, min, max);
    }
}
