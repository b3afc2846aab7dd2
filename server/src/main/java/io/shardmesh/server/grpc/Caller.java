package io.shardmesh.server.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.shardmesh.common.id.NodeId;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Optional;

/**
 * Who the current call comes from, for services: its address (the few calls that trust "someone
 * on this host", the node's operator, more than a caller from the network) and, over TLS, the
 * node id its certificate proved. Read it on the thread the call arrived on, before any
 * scheduler hop: it lives in the call's gRPC context.
 */
public final class Caller implements ServerInterceptor {

    /**
     * @param remote the caller's address
     * @param secured whether the call came over TLS: then {@code node} is all there is to know
     *     of the caller's identity, and an empty one is an anonymous caller (no certificate)
     * @param node the node id the caller's certificate proved
     */
    public record Info(SocketAddress remote, boolean secured, Optional<NodeId> node) {
    }

    private static final Context.Key<Info> CALLER = Context.key("shardmesh-caller");
    private static final Info UNKNOWN = new Info(null, false, Optional.empty());

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        Info info = new Info(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), TransportSecurity.isTls(call),
                TransportSecurity.callerOf(call));
        return Contexts.interceptCall(Context.current().withValue(CALLER, info), call, headers, next);
    }

    /** The current call's caller; nothing known outside a call. */
    public static Info current() {
        Info i = CALLER.get();
        return i == null ? UNKNOWN : i;
    }

    /** Whether the current call comes from this host (loopback) or from inside the process. */
    public static boolean isLocal() {
        SocketAddress a = current().remote();
        if (a instanceof InetSocketAddress inet) {
            return inet.getAddress() != null && inet.getAddress().isLoopbackAddress();
        }
        return a != null && a.getClass().getName().startsWith("io.grpc.inprocess.");
    }
}
