package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.shardmesh.server.metrics.NodeMetrics;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts and times every call into {@link NodeMetrics}: by the status it closed with, or, for
 * calls that end without one (the client cancelled, or the deadline passed), CANCELLED or
 * DEADLINE_EXCEEDED.
 */
final class CallMetrics implements ServerInterceptor {

    private final NodeMetrics metrics;

    CallMetrics(NodeMetrics metrics) {
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        long start = System.nanoTime();
        Deadline deadline = Context.current().getDeadline();
        AtomicBoolean counted = new AtomicBoolean();
        ServerCall.Listener<Q> listener = next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                record(method, status.getCode(), start, counted);
                super.close(status, trailers);
            }
        }, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                record(method, deadline != null && deadline.isExpired() ? Status.Code.DEADLINE_EXCEEDED
                        : Status.Code.CANCELLED, start, counted);
                super.onCancel();
            }
        };
    }

    private void record(String method, Status.Code code, long startNanos, AtomicBoolean counted) {
        if (counted.compareAndSet(false, true)) {
            metrics.callFinished(method, code.name(), System.nanoTime() - startNanos);
        }
    }
}
