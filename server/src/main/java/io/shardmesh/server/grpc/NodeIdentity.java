package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.shardmesh.common.grpc.PeerIdentity;
import io.shardmesh.common.id.NodeId;

/**
 * Names this node in every answer: the {@link PeerIdentity#HEADER} response header, and the
 * trailer too, for answers that are only a status (an error before any message).
 */
final class NodeIdentity implements ServerInterceptor {

    private final String id;

    NodeIdentity(NodeId id) {
        this.id = requireNonNull(id, "id").hex();
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendHeaders(Metadata responseHeaders) {
                responseHeaders.put(PeerIdentity.NODE_ID, id);
                super.sendHeaders(responseHeaders);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                trailers.put(PeerIdentity.NODE_ID, id);
                super.close(status, trailers);
            }
        }, headers);
    }
}
