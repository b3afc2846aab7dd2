package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ServerCall;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.common.log.RefusalLog;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.common.tls.NodeCertificate;
import io.shardmesh.common.tls.NodeCertificateFile;
import io.shardmesh.common.tls.NodeTrust;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * How a node's connections are secured: TLS 1.3 with the node's identity key on both ends (the
 * default), or plaintext for a mesh that runs behind a TLS-terminating proxy or on a network it
 * secures by other means ({@code --plaintext}). Nodes of one mesh use one mode: a TLS node and
 * a plaintext node cannot talk, and each says why.
 *
 * <p>TLS: the server presents the node's self-signed certificate ({@link NodeCertificate}) and
 * asks every caller for one; a caller that shows none (grpcurl, ghz, a browser) is served as
 * anonymous, one that shows a certificate must prove a node id with it. A channel opened for a
 * particular node accepts only that node's certificate ({@link NodeTrust#expecting}). The JDK's
 * TLS, not the shaded BoringSSL: the latter does not take Ed25519 keys through Netty (the
 * handshake fails with an internal error), and the JDK's AES-GCM runs on AES-NI.
 */
public final class TransportSecurity {

    /** {@link #name()} of TLS 1.3 with node identities. */
    public static final String TLS = "tls1.3";
    /** {@link #name()} of plaintext. */
    public static final String PLAINTEXT = "plaintext";

    private static final String TLS_1_3 = "TLSv1.3";

    /**
     * Where grpc-java's connection failures go: the refusal log of the server built last (a
     * process runs one node; tests that run several share the lines). grpc-java reports them
     * through java.util.logging, process-wide: a failed TLS handshake at FINE, without its cause
     * (a plaintext caller, a certificate {@link NodeTrust} refused and logged, a caller that hung
     * up), and a TLS caller at a plaintext node as an INFO stack trace. {@link ConnectionLog}
     * turns both into one line each; the loggers are held here because JUL keeps them weakly.
     */
    private static final AtomicReference<RefusalLog> CONNECTION_REFUSALS = new AtomicReference<>();
    private static final java.util.logging.Logger HANDSHAKE_LOG =
            java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.ProtocolNegotiators");
    private static final java.util.logging.Logger CONNECTION_LOG =
            java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport.connections");

    static {
        ConnectionLog handler = new ConnectionLog();
        HANDSHAKE_LOG.setLevel(Level.FINE);
        CONNECTION_LOG.setUseParentHandlers(false);
        HANDSHAKE_LOG.setUseParentHandlers(false);
        HANDSHAKE_LOG.addHandler(handler);
        CONNECTION_LOG.addHandler(handler);
    }

    /** Empty: plaintext. */
    private final Optional<NodeKey> key;
    private final X509Certificate certificate;
    private final SslContext anyNode;

    private TransportSecurity(Optional<NodeKey> key, X509Certificate certificate) {
        this.key = key;
        this.certificate = certificate;
        this.anyNode = key.isPresent() ? client(NodeTrust.anyNode()) : null;
    }

    /** TLS 1.3 with {@code key} as this end's identity; {@code clock} dates its certificate. */
    public static TransportSecurity tls(NodeKey key, Clock clock) {
        requireNonNull(key, "key");
        return new TransportSecurity(Optional.of(key), NodeCertificate.selfSigned(key, requireNonNull(clock, "clock")));
    }

    /** TLS 1.3 with {@code key} as this end's identity, presenting {@code certificate} (of that key: {@link NodeCertificateFile}). */
    public static TransportSecurity tls(NodeKey key, X509Certificate certificate) {
        requireNonNull(key, "key");
        requireNonNull(certificate, "certificate");
        if (!java.util.Arrays.equals(certificate.getPublicKey().getEncoded(), key.keyPair().getPublic().getEncoded())) {
            throw new IllegalArgumentException("the certificate is not of node " + key.id() + "'s key");
        }
        return new TransportSecurity(Optional.of(key), certificate);
    }

    /** Plaintext HTTP/2. */
    public static TransportSecurity plaintext() {
        return new TransportSecurity(Optional.empty(), null);
    }

    /** Whether connections are TLS. */
    public boolean isTls() {
        return key.isPresent();
    }

    /** What {@code Node.Status} calls it: {@value #TLS} or {@value #PLAINTEXT}. */
    public String name() {
        return isTls() ? TLS : PLAINTEXT;
    }

    /**
     * A Netty server on {@code address} with this security. The connections it refuses are
     * logged once per kind and {@link RefusalLog#QUIET} on {@code clock}.
     */
    public NettyServerBuilder server(InetSocketAddress address, Clock clock) {
        RefusalLog refusals = new RefusalLog(NodeLog.logger(TransportSecurity.class), clock);
        CONNECTION_REFUSALS.set(refusals);
        NettyServerBuilder b = NettyServerBuilder.forAddress(address);
        if (key.isEmpty()) {
            return b;
        }
        try {
            return b.sslContext(GrpcSslContexts.configure(SslContextBuilder.forServer(key.get().keyPair().getPrivate(), certificate),
                            SslProvider.JDK)
                    .trustManager(NodeTrust.callers(refusals))
                    .clientAuth(ClientAuth.OPTIONAL)
                    .protocols(TLS_1_3)
                    .build());
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS for node " + key.get().id() + ": " + e.getMessage(), e);
        }
    }

    /** {@code b} with this security; a TLS channel for {@code expected} accepts only that node. */
    public NettyChannelBuilder channel(NettyChannelBuilder b, Optional<NodeId> expected) {
        if (key.isEmpty()) {
            return b.usePlaintext();
        }
        return b.sslContext(expected.map(id -> client(NodeTrust.expecting(id))).orElse(anyNode));
    }

    /** Channels to peers with the mesh's limits, on gRPC's shared event loop. */
    public PeerChannels.Factory channels() {
        return (expected, host, port) -> network(channel(NettyChannelBuilder.forAddress(host, port), expected));
    }

    /** The mesh's message and keepalive limits on a channel. */
    public static ManagedChannel network(NettyChannelBuilder b) {
        return b.maxInboundMessageSize(ProtocolLimits.MAX_MESSAGE_BYTES)
                .keepAliveTime(ProtocolLimits.KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveTimeout(ProtocolLimits.KEEPALIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .idleTimeout(5, TimeUnit.MINUTES)
                .build();
    }

    private SslContext client(NodeTrust trust) {
        try {
            return GrpcSslContexts.configure(SslContextBuilder.forClient()
                            .keyManager(key.orElseThrow().keyPair().getPrivate(), certificate), SslProvider.JDK)
                    .trustManager(trust)
                    .protocols(TLS_1_3)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS for node " + key.orElseThrow().id() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The node id the caller of {@code call} proved in its TLS handshake; empty for a caller that
     * showed no certificate, and on a plaintext or in-process transport.
     */
    static Optional<NodeId> callerOf(ServerCall<?, ?> call) {
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            X509Certificate[] x509 = new X509Certificate[chain.length];
            for (int i = 0; i < chain.length; i++) {
                x509[i] = (X509Certificate) chain[i];
            }
            return Optional.of(NodeCertificate.nodeIdOf(x509));
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        } catch (CertificateException | ClassCastException e) {
            // The handshake already refused any certificate that proves no node id.
            return Optional.empty();
        }
    }

    /** Whether {@code call} came over TLS. */
    static boolean isTls(ServerCall<?, ?> call) {
        return call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION) != null;
    }

    /** grpc-java's connection failures as lines of the {@link #CONNECTION_REFUSALS} log. */
    private static final class ConnectionLog extends Handler {

        /** What a TLS ClientHello starts with: a handshake record (0x16), version 3.x. */
        private static final String TLS_RECORD_HEX = "Hex dump for received bytes: 1603";

        @Override
        public void publish(LogRecord r) {
            RefusalLog refusals = CONNECTION_REFUSALS.get();
            if (refusals == null) {
                return;
            }
            String message = String.valueOf(r.getMessage());
            Throwable t = r.getThrown();
            if (message.startsWith("TLS negotiation failed for new client")) {
                refusals.refused("handshake", "refused a connection that did not complete the TLS handshake: a plaintext"
                        + " caller (plain tools need TLS without a CA check: grpcurl -insecure, buf curl -k), a certificate"
                        + " refused above, or a caller that hung up");
            } else if (t != null && String.valueOf(t.getMessage()).contains(TLS_RECORD_HEX)) {
                refusals.refused("tls-at-plaintext", "refused a TLS connection: this node runs --plaintext, the caller TLS"
                        + " (the default); a mesh runs one or the other");
            } else if (t != null && r.getLevel().intValue() >= Level.INFO.intValue()) {
                String why = String.valueOf(t.getMessage()).lines().findFirst().orElse("");
                refusals.refused(t.getClass().getName(), "a connection failed: " + t.getClass().getSimpleName() + ": "
                        + (why.length() > 200 ? why.substring(0, 200) + "..." : why));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
