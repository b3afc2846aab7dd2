package io.shardmesh.cli;

import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.netty.handler.ssl.NotSslRecordException;
import io.shardmesh.cli.grpc.CommandEventLoop;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.StatusMapper;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.proto.v1.FilesGrpc;
import io.shardmesh.proto.v1.KvGrpc;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.server.grpc.TransportSecurity;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The command line's edge to one node: a channel with the protocol's limits, and unary calls
 * that each get a deadline and whose failure is mapped once, into the one-line errors and exit
 * codes every command shares. The only place besides the mesh client ({@link ClientMesh}) where
 * the command line touches gRPC.
 */
final class NodeClient implements AutoCloseable {

    /** Deadline of a unary call the node answers from what it has. */
    static final Duration UNARY_DEADLINE = Duration.ofSeconds(15);
    /** Deadline of a call for which the node does DHT lookups (Kv, Stat): longer on a large mesh. */
    static final Duration LOOKUP_DEADLINE = Duration.ofSeconds(60);

    /** Blocking stubs of one call, with its deadline set. */
    record Stubs(NodeGrpc.NodeBlockingStub node, FilesGrpc.FilesBlockingStub files, KvGrpc.KvBlockingStub kv) {
    }

    private final CommandEventLoop loop = CommandEventLoop.create(1);
    private final ManagedChannel channel;
    private final HostPort address;
    private final boolean tls;

    NodeClient(HostPort address, TransportSecurity security) {
        this.address = address;
        this.tls = security.isTls();
        this.channel = loop.open(security, Optional.empty(), address.host(), address.port());
    }

    /** One call to the node at {@link #UNARY_DEADLINE}; {@code what} names it in errors ("stat"). */
    <T> T call(String what, Function<Stubs, T> call) {
        return call(what, UNARY_DEADLINE, call);
    }

    /** One call to the node with {@code deadline}. */
    <T> T call(String what, Duration deadline, Function<Stubs, T> call) {
        long ms = deadline.toMillis();
        try {
            return call.apply(new Stubs(
                    NodeGrpc.newBlockingStub(channel).withDeadlineAfter(ms, TimeUnit.MILLISECONDS),
                    FilesGrpc.newBlockingStub(channel).withDeadlineAfter(ms, TimeUnit.MILLISECONDS),
                    KvGrpc.newBlockingStub(channel).withDeadlineAfter(ms, TimeUnit.MILLISECONDS)));
        } catch (StatusRuntimeException e) {
            throw failed(e, what + " at " + address, tls);
        }
    }

    /**
     * Prints a command's result: the message as proto3 JSON with {@code --json} (every field,
     * zeros included), else the command's own text.
     */
    static void print(GlobalOptions global, PrintWriter out, MessageOrBuilder result, Consumer<PrintWriter> text) {
        if (global.json) {
            try {
                // Zeros and empty fields too: a script must tell 0 from missing.
                out.println(JsonFormat.printer().alwaysPrintFieldsWithNoPresence().print(result));
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw MeshException.internal("cannot print the answer as JSON: " + e.getMessage(), e);
            }
        } else {
            text.accept(out);
        }
        out.flush();
    }

    /**
     * A failed call to a node as the CLI reports it: mapped like everywhere else, plus a hint
     * when the node could not be reached at all (nothing listening, wrong address, TLS on one end
     * and plaintext on the other) or did not answer in time. Not for failures the node itself
     * reported, nor for peers' failures. {@code tls} is how this CLI connects.
     */
    static MeshException failed(StatusRuntimeException e, String context, boolean tls) {
        MeshException me = StatusMapper.fromThrowable(e, context);
        if (me.kind() == ErrorKind.UNAVAILABLE && tls && causedBy(e, NotSslRecordException.class)) {
            return new MeshException(me.kind(), context + ": the node answered in plaintext, not TLS (it runs node"
                    + " --plaintext); add --plaintext or set SHARDMESH_PLAINTEXT=1 to call it", e);
        }
        // A TLS node drops a plaintext connection as it sees it: the caller reads a reset, or
        // grpc-java's close without a cause, depending on timing.
        boolean dropped = causedBy(e, IOException.class) && !causedBy(e, ConnectException.class)
                || "Network closed for unknown reason".equals(e.getStatus().getDescription());
        if (me.kind() == ErrorKind.UNAVAILABLE && !tls && dropped) {
            return new MeshException(me.kind(), me.getMessage() + " (this command runs --plaintext: a node with TLS,"
                    + " the default, drops plaintext connections; is a node running there?)", e);
        }
        if (me.kind() == ErrorKind.UNAVAILABLE && e.getStatus().getCause() != null) {
            return new MeshException(me.kind(), me.getMessage()
                    + " (is a node running there? start one with '" + ShardmeshCommand.program()
                    + " node' or use --node HOST:PORT)", e);
        }
        if (me.kind() == ErrorKind.DEADLINE_EXCEEDED) {
            return new MeshException(me.kind(), me.getMessage() + " (the node did not answer in time)", e);
        }
        return me;
    }

    /** Whether {@code e} or one of its causes is a {@code type}. */
    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    HostPort address() {
        return address;
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loop.close();
    }
}
