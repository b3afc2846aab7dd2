package io.shardmesh.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.StatusMapper;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.server.grpc.ServerSettings;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A channel to one node, with the same message limits the node itself uses. */
final class NodeConnection implements AutoCloseable {

    /** Deadline of unary calls from the command line. */
    static final Duration UNARY_DEADLINE = Duration.ofSeconds(15);

    private final ManagedChannel channel;
    private final HostPort address;

    NodeConnection(HostPort address) {
        this.address = address;
        this.channel = NettyChannelBuilder.forAddress(address.host(), address.port())
                .usePlaintext()
                .maxInboundMessageSize(ServerSettings.MAX_INBOUND_MESSAGE_BYTES)
                .keepAliveTime(ServerSettings.KEEPALIVE_TIME_SECONDS, TimeUnit.SECONDS)
                .build();
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

    ManagedChannel channel() {
        return channel;
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
    }
}
