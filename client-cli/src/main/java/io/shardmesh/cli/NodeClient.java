package io.shardmesh.cli;

import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.shardmesh.cli.grpc.CommandEventLoop;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.StatusMapper;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.proto.v1.FilesGrpc;
import io.shardmesh.proto.v1.KvGrpc;
import io.shardmesh.proto.v1.NodeGrpc;
import java.io.PrintWriter;
import java.time.Duration;
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

    NodeClient(HostPort address) {
        this.address = address;
        this.channel = loop.open(address.host(), address.port());
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
            throw failed(e, what + " at " + address);
        }
    }

    /**
     * Prints a command's result: the message as proto3 JSON with {@code --json}, else the
     * command's own text.
     */
    static void print(GlobalOptions global, PrintWriter out, MessageOrBuilder result, Consumer<PrintWriter> text) {
        if (global.json) {
            try {
                out.println(JsonFormat.printer().print(result));
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
     * when the node could not be reached at all (nothing listening, wrong address) or did not
     * answer in time. Not for failures the node itself reported, nor for peers' failures.
     */
    static MeshException failed(StatusRuntimeException e, String context) {
        MeshException me = StatusMapper.fromThrowable(e, context);
        if (me.kind() == ErrorKind.UNAVAILABLE && e.getStatus().getCause() != null) {
            return new MeshException(me.kind(), me.getMessage()
                    + " (is a node running there? start one with 'shardmesh node' or use --node HOST:PORT)", e);
        }
        if (me.kind() == ErrorKind.DEADLINE_EXCEEDED) {
            return new MeshException(me.kind(), me.getMessage() + " (the node did not answer in time)", e);
        }
        return me;
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
