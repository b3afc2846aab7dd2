package io.shardmesh.common.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.AbstractStub;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.tls.NodeTrust;
import java.util.Optional;

/**
 * Who answers a call. Every node names itself in the response header (and trailer)
 * {@value #HEADER}; a caller that meant to reach a particular node checks it, and a call that
 * another identity answers fails UNAVAILABLE: the address is held by a node rebuilt with a new
 * key, or by something else, and what it says must not count as the node meant.
 */
public final class PeerIdentity {

    /** The header name. */
    public static final String HEADER = "shardmesh-node-id";

    /** The answering node's id, 64 lowercase hex characters. */
    public static final Metadata.Key<String> NODE_ID = Metadata.Key.of(HEADER, Metadata.ASCII_STRING_MARSHALLER);

    private static final CallOptions.Key<NodeId> EXPECTED = CallOptions.Key.create("shardmesh-expected-node");

    private static final ClientInterceptor CHECK = new ClientInterceptor() {
        @Override
        public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
            NodeId expected = options.getOption(EXPECTED);
            ClientCall<Q, A> call = next.newCall(method, options);
            return expected == null ? call : new Checked<>(call, expected);
        }
    };

    private PeerIdentity() {
    }

    /** {@code stub}, whose calls fail unless {@code expected} is the node that answers them. */
    public static <S extends AbstractStub<S>> S expecting(S stub, Contact expected) {
        return stub.withOption(EXPECTED, expected.id()).withInterceptors(CHECK);
    }

    /** The cause of a call that another identity answered; {@code answered} is empty when it named none we can read. */
    public static final class WrongPeer extends RuntimeException {
        private final NodeId expected;
        private final transient Optional<NodeId> answered;

        WrongPeer(NodeId expected, Optional<NodeId> answered) {
            super("answered as " + answered.map(a -> "node " + a).orElse("something else") + ", not node " + expected,
                    null, false, false);
            this.expected = expected;
            this.answered = answered;
        }

        public NodeId expected() {
            return expected;
        }

        public Optional<NodeId> answered() {
            return answered;
        }
    }

    /**
     * The {@link WrongPeer} behind {@code error}, if another identity answered the call: named in
     * its answer, or proved in a TLS handshake that was refused for it ({@link NodeTrust.WrongNode}).
     */
    public static Optional<WrongPeer> wrongPeer(Throwable error) {
        int depth = 0;
        for (Throwable t = error; t != null && depth++ < 32; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof WrongPeer w) {
                return Optional.of(w);
            }
            if (t instanceof NodeTrust.WrongNode w) {
                return Optional.of(new WrongPeer(w.expected(), Optional.of(w.answered())));
            }
        }
        return Optional.empty();
    }

    private static final class Checked<Q, A> extends ForwardingClientCall.SimpleForwardingClientCall<Q, A> {
        private final NodeId expected;

        Checked(ClientCall<Q, A> call, NodeId expected) {
            super(call);
            this.expected = requireNonNull(expected, "expected");
        }

        @Override
        public void start(Listener<A> listener, Metadata headers) {
            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                /** Set once the answer named another node: nothing of it reaches the caller. */
                private volatile WrongPeer wrong;
                private volatile boolean named;

                @Override
                public void onHeaders(Metadata h) {
                    check(h.get(NODE_ID));
                    if (wrong == null) {
                        super.onHeaders(h);
                    }
                }

                @Override
                public void onMessage(A message) {
                    if (wrong == null) {
                        super.onMessage(message);
                    }
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    if (!named) {
                        check(trailers.get(NODE_ID));
                    }
                    Status s = status;
                    if (wrong != null) {
                        s = Status.UNAVAILABLE.withDescription("the address " + wrong.getMessage() + " (a stale contact)")
                                .withCause(wrong);
                    } else if (!named && status.isOk()) {
                        s = Status.UNAVAILABLE.withDescription("the answer did not say which node gave it (expected "
                                + expected + ")");
                    }
                    super.onClose(s, trailers);
                }

                private void check(String id) {
                    if (id == null || named) {
                        return;
                    }
                    named = true;
                    if (!id.equals(expected.hex())) {
                        Optional<NodeId> other;
                        try {
                            other = Optional.of(NodeId.fromHex(id, HEADER));
                        } catch (RuntimeException e) {
                            other = Optional.empty();
                        }
                        wrong = new WrongPeer(expected, other);
                        Checked.this.cancel("answered by another node", null);
                    }
                }
            }, headers);
        }
    }
}
