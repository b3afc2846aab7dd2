package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.net.HostPort;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How a node serves and how it reaches its peers: the seam through which tests run nodes over
 * grpc-java's in-process transport (as grpc-java's {@code RouteGuideServer(ServerBuilder<?>)}
 * does), and production runs Netty on the listen address, with TLS bound to the node's key
 * ({@link TransportSecurity}) unless asked for plaintext.
 */
public final class NodeTransport {

    /** The transport for one node's key. */
    public record Bound(Function<HostPort, ServerBuilder<?>> server, PeerChannels.Factory channels, String security) {
        public Bound {
            requireNonNull(server, "server");
            requireNonNull(channels, "channels");
            requireNonNull(security, "security");
        }

        ServerBuilder<?> serverFor(HostPort listen) {
            return server.apply(listen);
        }
    }

    /** Binds a transport to one node's key, certificate and clock. */
    private interface Binder {
        Bound bind(NodeKey key, Supplier<X509Certificate> certificate, Clock clock);
    }

    private final Binder bind;
    private final List<ServerInterceptor> interceptors;

    private NodeTransport(Binder bind, List<ServerInterceptor> interceptors) {
        this.bind = bind;
        this.interceptors = List.copyOf(interceptors);
    }

    /** Netty on the listen address; TLS 1.3 with the node's key both ways (the default). */
    public static NodeTransport network() {
        return secured((key, certificate) -> TransportSecurity.tls(key, certificate.get()));
    }

    /** Netty on the listen address, plaintext both ways ({@code node --plaintext}). */
    public static NodeTransport plaintext() {
        return secured((key, certificate) -> TransportSecurity.plaintext());
    }

    private static NodeTransport secured(BiFunction<NodeKey, Supplier<X509Certificate>, TransportSecurity> security) {
        return new NodeTransport((key, certificate, clock) -> {
            TransportSecurity s = security.apply(key, certificate);
            return new Bound(listen -> s.server(new InetSocketAddress(listen.host(), listen.port()), clock), s.channels(),
                    s.name());
        }, List.of());
    }

    /**
     * {@code server} instead of Netty on the listen address (e.g. {@code InProcessServerBuilder}),
     * and {@code channels} to reach peers (e.g. routed to in-process servers).
     */
    public static NodeTransport of(ServerBuilder<?> server, PeerChannels.Factory channels) {
        requireNonNull(server, "server");
        requireNonNull(channels, "channels");
        return new NodeTransport((key, certificate, clock) -> new Bound(listen -> server, channels, "in-process"), List.of());
    }

    /** This transport with {@code interceptor} on the server, innermost: next to the services (tests that make a node lie). */
    public NodeTransport intercepting(ServerInterceptor interceptor) {
        List<ServerInterceptor> all = new ArrayList<>(interceptors);
        all.add(requireNonNull(interceptor, "interceptor"));
        return new NodeTransport(bind, all);
    }

    /**
     * The transport of the node whose key is {@code key}; {@code certificate} gives the key's
     * certificate, asked only when the transport is TLS; {@code clock} paces its refusal log.
     */
    public Bound bind(NodeKey key, Supplier<X509Certificate> certificate, Clock clock) {
        Bound b = bind.bind(requireNonNull(key, "key"), requireNonNull(certificate, "certificate"),
                requireNonNull(clock, "clock"));
        if (interceptors.isEmpty()) {
            return b;
        }
        return new Bound(listen -> {
            ServerBuilder<?> sb = b.serverFor(listen);
            interceptors.forEach(sb::intercept);
            return sb;
        }, b.channels(), b.security());
    }
}
