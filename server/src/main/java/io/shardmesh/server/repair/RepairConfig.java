package io.shardmesh.server.repair;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Settings of a node's repair and scrub ({@code shardmesh node --repair-…}, {@code --scrub-…}).
 *
 * @param interval how often the node checks the files it holds shards of (each check ±10% jitter)
 * @param delay how long a shard may be missing before its stripe is repaired (a reboot should
 *     not trigger repair); a stripe left with k shards, or with k + 1 or fewer and more than one missing, is repaired at once
 * @param concurrency stripes repaired at once by this node
 * @param bytesPerSecond repair traffic this node moves (fetched plus written); 0 for no bound
 * @param scrubBytesPerSecond how fast the scrub re-hashes stored chunks; 0 turns the scrub off
 * @param scrubPause the pause between two scrub passes over the whole store
 */
public record RepairConfig(Duration interval, Duration delay, int concurrency, long bytesPerSecond,
                           long scrubBytesPerSecond, Duration scrubPause) {

    public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(10);
    public static final Duration DEFAULT_DELAY = Duration.ofMinutes(15);
    public static final int DEFAULT_CONCURRENCY = 2;
    /** 40 MB/s: a fifth of what this class of machine moves, so a mass departure does not starve reads. */
    public static final long DEFAULT_BYTES_PER_SECOND = 40_000_000L;
    /** 4 MB/s: a 1 TB disk is re-hashed about every three days. */
    public static final long DEFAULT_SCRUB_BYTES_PER_SECOND = 4_000_000L;
    public static final Duration DEFAULT_SCRUB_PAUSE = Duration.ofHours(1);

    public RepairConfig {
        requireNonNull(interval, "interval");
        requireNonNull(delay, "delay");
        requireNonNull(scrubPause, "scrubPause");
        if (interval.toMillis() < 100) {
            throw new IllegalArgumentException("--repair-interval must be at least 100ms, got " + interval.toMillis() + "ms");
        }
        if (delay.isNegative()) {
            throw new IllegalArgumentException("--repair-delay must not be negative, got " + delay);
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("--repair-concurrency must be at least 1, got " + concurrency);
        }
        if (bytesPerSecond < 0 || scrubBytesPerSecond < 0) {
            throw new IllegalArgumentException("repair and scrub rates must be 0 (no bound / off) or positive, got "
                    + bytesPerSecond + " and " + scrubBytesPerSecond);
        }
        if (scrubPause.isNegative()) {
            throw new IllegalArgumentException("--scrub-pause must not be negative, got " + scrubPause);
        }
    }

    public static RepairConfig defaults() {
        return new RepairConfig(DEFAULT_INTERVAL, DEFAULT_DELAY, DEFAULT_CONCURRENCY, DEFAULT_BYTES_PER_SECOND,
                DEFAULT_SCRUB_BYTES_PER_SECOND, DEFAULT_SCRUB_PAUSE);
    }

    public RepairConfig withTiming(Duration interval, Duration delay) {
        return new RepairConfig(interval, delay, concurrency, bytesPerSecond, scrubBytesPerSecond, scrubPause);
    }

    public RepairConfig withLimits(int concurrency, long bytesPerSecond) {
        return new RepairConfig(interval, delay, concurrency, bytesPerSecond, scrubBytesPerSecond, scrubPause);
    }

    public RepairConfig withScrub(long bytesPerSecond, Duration pause) {
        return new RepairConfig(interval, delay, concurrency, this.bytesPerSecond, bytesPerSecond, pause);
    }
}
