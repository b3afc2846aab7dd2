package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A node-wide bound on the calls of one streaming method in progress; past it, a new call is
 * answered RESOURCE_EXHAUSTED at once (a reader then asks another holder). The permit is held
 * until gRPC reports the call finished or cancelled, not merely until the handler is done:
 * each open stream may have a frame queued in the transport for a caller that does not read,
 * so memory is bounded by this many frames, not by how many streams callers open. Without it
 * a thousand GetChunk streams exhaust a 256 MiB node's direct memory.
 */
final class StreamLimit implements ServerInterceptor {

    private final String method;
    private final int max;
    private final Semaphore permits;

    StreamLimit(MethodDescriptor<?, ?> method, int max) {
        this.method = requireNonNull(method, "method").getFullMethodName();
        if (max < 1) {
            throw new IllegalArgumentException("the stream limit must be positive, got " + max);
        }
        this.max = max;
        this.permits = new Semaphore(max);
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        if (!call.getMethodDescriptor().getFullMethodName().equals(method)) {
            return next.startCall(call, headers);
        }
        if (!permits.tryAcquire()) {
            call.close(Status.RESOURCE_EXHAUSTED.withDescription("this node is serving " + max + " " + method
                    + " streams already; try again later or another holder"), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                permits.release();
            }
        };
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(call, headers);
        } catch (RuntimeException | Error e) {
            release.run();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onComplete() {
                try {
                    super.onComplete();
                } finally {
                    release.run();
                }
            }

            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    release.run();
                }
            }
        };
    }
}
