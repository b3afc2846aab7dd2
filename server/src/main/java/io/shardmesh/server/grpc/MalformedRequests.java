package io.shardmesh.server.grpc;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.List;

/**
 * Answers a request whose bytes are not a valid message INVALID_ARGUMENT. gRPC itself parses
 * requests before any interceptor sees them, and answers a failed parse UNKNOWN ("Application
 * error processing RPC"), which DESIGN.md rules out. Here the parse failure becomes a null
 * message that the wrapped handler never sees: the call is closed with a clear status and the
 * service is told the call was cancelled, so a stream it already started is torn down.
 */
public final class MalformedRequests {

    private MalformedRequests() {
    }

    /** {@code service} with every method's malformed requests answered INVALID_ARGUMENT. */
    public static ServerServiceDefinition refuse(ServerServiceDefinition service) {
        List<ServerMethodDefinition<?, ?>> methods = service.getMethods().stream()
                .<ServerMethodDefinition<?, ?>>map(MalformedRequests::refuse).toList();
        // The same schema, so server reflection still describes the service.
        ServiceDescriptor.Builder d = ServiceDescriptor.newBuilder(service.getServiceDescriptor().getName())
                .setSchemaDescriptor(service.getServiceDescriptor().getSchemaDescriptor());
        methods.forEach(m -> d.addMethod(m.getMethodDescriptor()));
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(d.build());
        methods.forEach(b::addMethod);
        return b.build();
    }

    private static <Q, A> ServerMethodDefinition<Q, A> refuse(ServerMethodDefinition<Q, A> m) {
        MethodDescriptor<Q, A> original = m.getMethodDescriptor();
        MethodDescriptor<Q, A> tolerant = original.toBuilder()
                .setRequestMarshaller(new OrNull<>(original.getRequestMarshaller()))
                .build();
        return ServerMethodDefinition.create(tolerant, new Guard<>(m.getServerCallHandler()));
    }

    /** Parses as the service's marshaller does, and yields null for bytes it cannot parse. */
    private static final class OrNull<Q> implements MethodDescriptor.Marshaller<Q> {
        private final MethodDescriptor.Marshaller<Q> parser;

        OrNull(MethodDescriptor.Marshaller<Q> parser) {
            this.parser = parser;
        }

        @Override
        public InputStream stream(Q value) {
            return parser.stream(value);
        }

        @Override
        public Q parse(InputStream stream) {
            try {
                return parser.parse(stream);
            } catch (RuntimeException e) {
                return null;
            }
        }
    }

    private static final class Guard<Q, A> implements ServerCallHandler<Q, A> {
        private final ServerCallHandler<Q, A> next;

        Guard(ServerCallHandler<Q, A> next) {
            this.next = next;
        }

        @Override
        public ServerCall.Listener<Q> startCall(ServerCall<Q, A> call, Metadata headers) {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                /** Set once the call was refused: the service hears nothing more but the cancel. */
                private boolean refused;

                @Override
                public void onMessage(Q message) {
                    if (refused) {
                        return;
                    }
                    if (message == null) {
                        refused = true;
                        call.close(Status.INVALID_ARGUMENT.withDescription("the request is not a valid "
                                + call.getMethodDescriptor().getFullMethodName().replace('/', '.') + " request message"),
                                new Metadata());
                        super.onCancel();
                        return;
                    }
                    super.onMessage(message);
                }

                @Override
                public void onHalfClose() {
                    if (!refused) {
                        super.onHalfClose();
                    }
                }

                @Override
                public void onReady() {
                    if (!refused) {
                        super.onReady();
                    }
                }

                @Override
                public void onComplete() {
                    if (!refused) {
                        super.onComplete();
                    }
                }

                @Override
                public void onCancel() {
                    if (!refused) {
                        super.onCancel();
                    }
                }
            };
        }
    }
}
