package io.shardmesh.it.harness;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.server.grpc.TransportSecurity;
import java.time.Clock;
import java.util.Optional;

/** How tests reach nodes: TLS, as every node port serves by default, with the tests' own key. */
public final class Tls {

    /** The tests' identity: a client as the CLI is, never a node. */
    public static final TransportSecurity CLIENT = TransportSecurity.tls(NodeKey.generate(), Clock.systemUTC());

    private Tls() {
    }

    /** A new channel (its own connection) to whichever node is at {@code host:port}, with the mesh's limits. */
    public static ManagedChannel channel(String host, int port) {
        return TransportSecurity.network(CLIENT.channel(NettyChannelBuilder.forAddress(host, port), Optional.empty()));
    }

    /** A secured server builder for a test's own fake node with {@code key}. */
    public static io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder server(NodeKey key) {
        return TransportSecurity.tls(key, Clock.systemUTC()).server(new java.net.InetSocketAddress("127.0.0.1", 0), Clock.systemUTC());
    }
}
