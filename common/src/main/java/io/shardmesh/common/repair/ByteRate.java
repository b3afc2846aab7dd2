package io.shardmesh.common.repair;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A bound on bytes per second, shared by everyone who acquires from it: each acquisition
 * reserves its bytes' share of time and waits until the reservations before it have passed, so
 * repair and scrub traffic stay at their rate however many run at once. One burst of up to one
 * second's worth passes at once. Time comes from the injected clock and timer.
 */
public final class ByteRate {

    private final long bytesPerSecond;
    private final Clock clock;
    private final Scheduler timer;
    /** When the bytes reserved so far will have passed, in clock millis (fractional). */
    private double nextFreeMillis = Double.NEGATIVE_INFINITY;

    /** @param bytesPerSecond 0 for no bound */
    public ByteRate(long bytesPerSecond, Clock clock, Scheduler timer) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("a rate must be 0 (unbounded) or positive, got " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.clock = requireNonNull(clock, "clock");
        this.timer = requireNonNull(timer, "timer");
    }

    /** No bound. */
    public static ByteRate unbounded(Clock clock, Scheduler timer) {
        return new ByteRate(0, clock, timer);
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** Completes when {@code bytes} may be moved. */
    public Mono<Void> acquire(long bytes) {
        if (bytesPerSecond == 0 || bytes <= 0) {
            return Mono.empty();
        }
        return Mono.defer(() -> {
            long wait = reserve(bytes);
            return wait <= 0 ? Mono.empty() : Mono.delay(Duration.ofMillis(wait), timer).then();
        });
    }

    private synchronized long reserve(long bytes) {
        double now = clock.millis();
        // A bucket of one second: idle time earns at most one second's worth of bytes.
        double start = Math.max(nextFreeMillis, now - 1000);
        nextFreeMillis = start + bytes * 1000.0 / bytesPerSecond;
        return (long) Math.ceil(nextFreeMillis - now);
    }
}
