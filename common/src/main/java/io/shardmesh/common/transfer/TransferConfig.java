package io.shardmesh.common.transfer;

import java.time.Duration;

/**
 * Settings of the put and get pipelines.
 *
 * @param windowStripes stripes in flight at once (memory is about this many stripes, whatever the file size)
 * @param uploadAttempts nodes tried per shard before the put fails
 * @param manifestReplicas nodes that keep the manifest blob (the closest to the file id)
 * @param initialHedge hedge delay before any latency was observed
 * @param minHedge, maxHedge bounds of the adaptive hedge delay
 */
public record TransferConfig(int windowStripes, int uploadAttempts, int manifestReplicas, Duration initialHedge,
                             Duration minHedge, Duration maxHedge) {

    public static final int DEFAULT_WINDOW_STRIPES = 2;
    public static final int DEFAULT_UPLOAD_ATTEMPTS = 3;
    public static final int DEFAULT_MANIFEST_REPLICAS = 3;
    public static final int DEFAULT_K = 4;
    public static final int DEFAULT_M = 2;
    public static final int DEFAULT_SHARD_SIZE = 1 << 20;

    public static final Duration DEFAULT_INITIAL_HEDGE = Duration.ofMillis(500);
    public static final Duration DEFAULT_MIN_HEDGE = Duration.ofMillis(20);
    public static final Duration DEFAULT_MAX_HEDGE = Duration.ofSeconds(2);

    public TransferConfig {
        if (windowStripes < 1 || uploadAttempts < 1 || manifestReplicas < 1) {
            throw new IllegalArgumentException("transfer window, attempts and replicas must be positive, got "
                    + windowStripes + ", " + uploadAttempts + ", " + manifestReplicas);
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
        return new TransferConfig(DEFAULT_WINDOW_STRIPES, DEFAULT_UPLOAD_ATTEMPTS, DEFAULT_MANIFEST_REPLICAS,
                DEFAULT_INITIAL_HEDGE, DEFAULT_MIN_HEDGE, DEFAULT_MAX_HEDGE);
    }

    public TransferConfig withHedge(Duration initial, Duration min, Duration max) {
        return new TransferConfig(windowStripes, uploadAttempts, manifestReplicas, initial, min, max);
    }
}
