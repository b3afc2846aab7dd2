package io.shardmesh.server.testing;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.common.testing.MutableClock;
import io.shardmesh.server.grpc.NodeTransport;
import io.shardmesh.server.node.NodeBuilder;
import io.shardmesh.server.node.ShardmeshNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/** A node over the in-process transport, and a channel to it. */
public final class InProcessNode implements AutoCloseable {

    public final ShardmeshNode node;
    public final ManagedChannel channel;
    public final MutableClock clock;
    public final Path dataDir;

    private InProcessNode(ShardmeshNode node, ManagedChannel channel, MutableClock clock, Path dataDir) {
        this.node = node;
        this.channel = channel;
        this.clock = clock;
        this.dataDir = dataDir;
    }

    public static InProcessNode start(Path dataDir) {
        return start(dataDir, b -> b);
    }

    public static InProcessNode start(Path dataDir, UnaryOperator<NodeBuilder> customize) {
        String name = InProcessServerBuilder.generateName();
        MutableClock clock = new MutableClock();
        try {
            ShardmeshNode node = customize.apply(ShardmeshNode.builder(dataDir)
                            .transport(NodeTransport.of(InProcessServerBuilder.forName(name), PeerChannels.PLAINTEXT))
                            .advertise(new HostPort("127.0.0.1", 7070))
                            .clock(clock))
                    .start();
            // Not directExecutor: with reactor-grpc streams on both sides that can deadlock.
            ManagedChannel channel = InProcessChannelBuilder.forName(name)
                    .maxInboundMessageSize(ProtocolLimits.MAX_MESSAGE_BYTES)
                    .build();
            return new InProcessNode(node, channel, clock, dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        node.close();
    }
}
