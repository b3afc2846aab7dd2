package io.shardmesh.server.testing;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.tls.NodeTrust;
import io.shardmesh.server.grpc.TransportSecurity;
import java.time.Clock;
import java.util.Optional;
import javax.net.ssl.SSLException;

/** Channels a test opens to a node on a real port, as the CLI and plain tools do. */
public final class TestChannels {

    private TestChannels() {
    }

    /** TLS with a key of its own, to whichever node answers (as the CLI). */
    public static ManagedChannel tls(String host, int port) {
        return TransportSecurity.network(TransportSecurity.tls(NodeKey.generate(), Clock.systemUTC())
                .channel(NettyChannelBuilder.forAddress(host, port), Optional.empty()));
    }

    /** TLS without a client certificate (as {@code grpcurl -insecure}): served as anonymous. */
    public static ManagedChannel anonymous(String host, int port) {
        try {
            return NettyChannelBuilder.forAddress(host, port)
                    .sslContext(GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
                            .trustManager(NodeTrust.anyNode()).build())
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException(e);
        }
    }
}
