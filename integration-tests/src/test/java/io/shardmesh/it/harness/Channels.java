package io.shardmesh.it.harness;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardmesh.server.grpc.ServerSettings;
import java.util.concurrent.TimeUnit;

/** Plaintext channels from a test to a node on loopback, with the node's own message limit. */
public final class Channels {

    private Channels() {
    }

    /** A channel to 127.0.0.1:{@code port}; the caller closes it with {@link #close}. */
    public static ManagedChannel open(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .maxInboundMessageSize(ServerSettings.MAX_INBOUND_MESSAGE_BYTES)
                .build();
    }

    /** Shuts the channel down, cancelling calls still running, and waits a little for it. */
    public static void close(ManagedChannel channel) throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
