package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Gives a call that arrives without a deadline the node's own: {@code grpc-timeout} is filled in
 * before the server reads it, so gRPC itself cancels the call when it runs out, exactly as it
 * does for a caller's deadline (the handler is cancelled, its stream and files are released,
 * the caller gets DEADLINE_EXCEEDED). Without it, a caller that opens a stream and then goes
 * quiet (never reads, never finishes an upload) holds the node's resources for as long as the
 * connection lives. A caller's deadline further away than the node's is brought down to it,
 * or a day-long deadline would do the same; shorter ones are kept.
 */
final class DefaultDeadline extends ServerStreamTracer.Factory {

    /** The header gRPC carries deadlines in; a tracer sees the headers before the server reads it. */
    private static final Metadata.Key<String> TIMEOUT = Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER);
    /** The header allows at most 8 digits. */
    private static final long MAX_DIGITS_VALUE = 99_999_999;
    private static final ServerStreamTracer NONE = new ServerStreamTracer() { };

    private final String timeout;
    private final long maxNanos;

    DefaultDeadline(Duration max) {
        requireNonNull(max, "max");
        if (max.isNegative() || max.isZero()) {
            throw new IllegalArgumentException("the longest call must be positive, got " + max);
        }
        this.maxNanos = max.toNanos();
        long millis = max.toMillis();
        this.timeout = millis <= MAX_DIGITS_VALUE ? millis + "m" : Math.min(max.toSeconds(), MAX_DIGITS_VALUE) + "S";
    }

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        String given = headers.get(TIMEOUT);
        if (given == null || nanos(given) > maxNanos) {
            headers.discardAll(TIMEOUT);
            headers.put(TIMEOUT, timeout);
        }
        return NONE;
    }

    /** A grpc-timeout value (up to 8 digits and a unit) in nanoseconds, saturating; -1 when malformed (gRPC rejects it). */
    static long nanos(String value) {
        if (value.length() < 2 || value.length() > 9) {
            return -1;
        }
        long n;
        try {
            n = Long.parseLong(value.substring(0, value.length() - 1));
        } catch (NumberFormatException e) {
            return -1;
        }
        switch (value.charAt(value.length() - 1)) {
            case 'H':
                return TimeUnit.HOURS.toNanos(n);
            case 'M':
                return TimeUnit.MINUTES.toNanos(n);
            case 'S':
                return TimeUnit.SECONDS.toNanos(n);
            case 'm':
                return TimeUnit.MILLISECONDS.toNanos(n);
            case 'u':
                return TimeUnit.MICROSECONDS.toNanos(n);
            case 'n':
                return n;
            default:
                return -1;
        }
    }
}
