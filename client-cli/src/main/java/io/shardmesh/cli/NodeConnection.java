package io.shardmesh.cli;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
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
