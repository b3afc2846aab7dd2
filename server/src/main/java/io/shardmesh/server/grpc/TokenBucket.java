package io.shardmesh.server.grpc;

/**
 * A token bucket: {@code ratePerSecond} tokens a second, at most {@code capacity} saved up. Time
 * comes in as milliseconds from the caller's clock. Thread-safe.
 */
final class TokenBucket {

    private final double perMilli;
    private final double capacity;
    private double tokens;
    private long last;

    TokenBucket(double ratePerSecond, double capacity, long nowMillis) {
        if (!(ratePerSecond > 0) || !(capacity >= 1)) {
            throw new IllegalArgumentException("a token bucket needs a positive rate and room for one token, got "
                    + ratePerSecond + "/s and " + capacity);
        }
        this.perMilli = ratePerSecond / 1000.0;
        this.capacity = capacity;
        this.tokens = capacity;
        this.last = nowMillis;
    }

    private void refill(long now) {
        if (now > last) {
            tokens = Math.min(capacity, tokens + (now - last) * perMilli);
            last = now;
        }
    }

    /** Takes {@code n} tokens if the bucket holds them. */
    synchronized boolean tryTake(double n, long now) {
        refill(now);
        if (tokens >= n) {
            tokens -= n;
            return true;
        }
        return false;
    }

    /** Whether the bucket is not in debt (some token is left to start with). */
    synchronized boolean positive(long now) {
        refill(now);
        return tokens > 0;
    }

    /** Takes {@code n} tokens whether or not they are there: what was already sent is owed. */
    synchronized void debit(double n, long now) {
        refill(now);
        tokens -= n;
    }

    /** Milliseconds until {@code n} tokens are there (0 if they are now). */
    synchronized long millisUntil(double n, long now) {
        refill(now);
        return tokens >= n ? 0 : (long) Math.ceil((n - tokens) / perMilli);
    }
}
