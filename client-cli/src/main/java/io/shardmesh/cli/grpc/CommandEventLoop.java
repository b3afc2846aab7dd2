package io.shardmesh.cli.grpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.server.grpc.TransportSecurity;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A command's own event loop for its gRPC channels, ended in {@link #close()} when the command
 * is done. A JVM exits only after waiting up to 300 ms for its threads in native code, and
 * gRPC's shared event loop idles in {@code epoll_wait} for a second after its last channel
 * closes: every command paid those 300 ms, a third of a {@code status}. Epoll where Netty has
 * it (as gRPC's own default), else NIO.
 */
public final class CommandEventLoop implements AutoCloseable {

    private final EventLoopGroup group;
    private final Class<? extends Channel> channelType;

    private CommandEventLoop(int threads) {
        DefaultThreadFactory threadFactory = new DefaultThreadFactory("shardmesh-io", true);
        if (Epoll.isAvailable()) {
            group = new EpollEventLoopGroup(threads, threadFactory);
            channelType = EpollSocketChannel.class;
        } else {
            group = new NioEventLoopGroup(threads, threadFactory);
            channelType = NioSocketChannel.class;
        }
    }

    /** A loop of {@code threads} daemon threads; 0 for Netty's default (two per core, as gRPC's shared loop). */
    public static CommandEventLoop create(int threads) {
        return new CommandEventLoop(threads);
    }

    /**
     * A channel to {@code host:port} on this loop with {@code security} and the mesh's limits;
     * a TLS one for {@code expected} accepts only that node.
     */
    public ManagedChannel open(TransportSecurity security, Optional<NodeId> expected, String host, int port) {
        return TransportSecurity.network(security.channel(NettyChannelBuilder.forAddress(host, port)
                .eventLoopGroup(group)
                .channelType(channelType), expected));
    }

    /** Channels to peers on this loop, with {@code security}. */
    public PeerChannels.Factory channels(TransportSecurity security) {
        return (expected, host, port) -> open(security, expected, host, port);
    }

    /** Ends the loop's threads, waiting up to two seconds; close the channels on it first. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
}
