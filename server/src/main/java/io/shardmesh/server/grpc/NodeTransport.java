package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.net.HostPort;
import java.net.InetSocketAddress;
import java.util.function.Function;

/**
 * How a node serves and how it reaches its peers: the seam through which tests run nodes over
 * grpc-java's in-process transport (as grpc-java's {@code RouteGuideServer(ServerBuilder<?>)}
 * does), and production runs Netty on the listen address.
 */
public final class NodeTransport {

    private final Function<HostPort, ServerBuilder<?>> server;
    private final PeerChannels.Factory channels;

    private NodeTransport(Function<HostPort, ServerBuilder<?>> server, PeerChannels.Factory channels) {
        this.server = server;
        this.channels = channels;
    }

    /** Netty on the listen address; plaintext HTTP/2 channels to peers. */
    public static NodeTransport network() {
        return new NodeTransport(listen -> NettyServerBuilder.forAddress(new InetSocketAddress(listen.host(), listen.port()),
                InsecureServerCredentials.create()), PeerChannels.NETWORK);
    }

    /**
     * {@code server} instead of Netty on the listen address (e.g. {@code InProcessServerBuilder}),
     * and {@code channels} to reach peers (e.g. routed to in-process servers).
     */
    public static NodeTransport of(ServerBuilder<?> server, PeerChannels.Factory channels) {
        requireNonNull(server, "server");
        return new NodeTransport(listen -> server, requireNonNull(channels, "channels"));
    }

    ServerBuilder<?> serverFor(HostPort listen) {
        return server.apply(listen);
    }

    /** How channels to peers are made. */
    public PeerChannels.Factory channels() {
        return channels;
    }
}
