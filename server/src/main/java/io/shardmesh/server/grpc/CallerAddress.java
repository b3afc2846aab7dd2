package io.shardmesh.server.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Makes the caller's address available to services, for the few calls that trust "someone on
 * this host" (the node's operator) more than a caller from the network.
 */
public final class CallerAddress implements ServerInterceptor {

    private static final Context.Key<SocketAddress> REMOTE = Context.key("shardmesh-remote-address");

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        return Contexts.interceptCall(Context.current().withValue(REMOTE, remote), call, headers, next);
    }

    /**
     * Whether the current call comes from this host (loopback) or from inside the process.
     * Read it on the thread the call arrived on, before any scheduler hop.
     */
    public static boolean isLocal() {
        SocketAddress a = REMOTE.get();
        if (a instanceof InetSocketAddress inet) {
            return inet.getAddress() != null && inet.getAddress().isLoopbackAddress();
        }
        return a != null && a.getClass().getName().startsWith("io.grpc.inprocess.");
    }
}
