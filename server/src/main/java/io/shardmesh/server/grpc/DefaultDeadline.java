package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import java.time.Duration;

/**
 * Gives a call that arrives without a deadline the node's own: {@code grpc-timeout} is filled in
 * before the server reads it, so gRPC itself cancels the call when it runs out, exactly as it
 * does for a caller's deadline (the handler is cancelled, its stream and files are released,
 * the caller gets DEADLINE_EXCEEDED). Without it, a caller that opens a stream and then goes
 * quiet (never reads, never finishes an upload) holds the node's resources for as long as the
 * connection lives. Callers that set a deadline keep theirs.
 */
final class DefaultDeadline extends ServerStreamTracer.Factory {

    /** The header gRPC carries deadlines in; a tracer sees the headers before the server reads it. */
    private static final Metadata.Key<String> TIMEOUT = Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER);
    /** The header allows at most 8 digits. */
    private static final long MAX_DIGITS_VALUE = 99_999_999;
    private static final ServerStreamTracer NONE = new ServerStreamTracer() { };

    private final String timeout;

    DefaultDeadline(Duration max) {
        requireNonNull(max, "max");
        if (max.isNegative() || max.isZero()) {
            throw new IllegalArgumentException("the longest call must be positive, got " + max);
        }
        long millis = max.toMillis();
        this.timeout = millis <= MAX_DIGITS_VALUE ? millis + "m" : Math.min(max.toSeconds(), MAX_DIGITS_VALUE) + "S";
    }

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        if (!headers.containsKey(TIMEOUT)) {
            headers.put(TIMEOUT, timeout);
        }
        return NONE;
    }
}
