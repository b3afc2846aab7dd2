package io.shardmesh.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.protobuf.services.HealthStatusManager;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.RefusalLog;
import io.shardmesh.common.tls.NodeCertificate;
import io.shardmesh.common.tls.NodeTrust;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * grpc-java over TLS 1.3 with node identities on both ends (issue 14's ground): HTTP/2 by ALPN
 * on the JDK's TLS with Ed25519 certificates, the caller's node id readable by the server from
 * the call, and a call meant for another node failing before any request is sent.
 */
class NodeTlsGrpcTest {

    private static final Clock CLOCK = Clock.systemUTC();

    private final NodeKey serverKey = NodeKey.generate();
    private final CompletableFuture<NodeId> caller = new CompletableFuture<>();
    private final Logger refusalLogger = (Logger) LoggerFactory.getLogger(NodeTlsGrpcTest.class);
    private final ListAppender<ILoggingEvent> refused = new ListAppender<>();
    private final RefusalLog refusals = new RefusalLog(refusalLogger, CLOCK);
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void listen() {
        refused.start();
        refusalLogger.addAppender(refused);
    }

    @AfterEach
    void stop() throws InterruptedException {
        refusalLogger.detachAppender(refused);
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void mutualTls_callsSucceed_andTheServerKnowsTheCaller() throws Exception {
        start();
        NodeKey clientKey = NodeKey.generate();
        channel = channel(clientKey, NodeTrust.expecting(serverKey.id()));
        HealthCheckResponse r = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance());
        assertThat(r.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(caller.get(5, TimeUnit.SECONDS)).isEqualTo(clientKey.id());
    }

    @Test
    void aCallMeantForAnotherNode_failsUnavailable_andNothingReachesTheServer() throws Exception {
        start();
        NodeId meant = NodeKey.generate().id();
        channel = channel(NodeKey.generate(), NodeTrust.expecting(meant));
        assertThatThrownBy(() -> HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e).hasStackTraceContaining(serverKey.id().hex()).hasStackTraceContaining(meant.hex());
                });
        assertThat(caller).isNotDone();
    }

    @Test
    void aPlaintextClient_isRefused() throws Exception {
        start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        assertThatThrownBy(() -> HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(caller).isNotDone();
    }

    /**
     * A caller whose certificate proves no node id (an RSA key, as a web client might show) fails
     * the handshake, reaches nothing, and the node logs why, once for two tries.
     */
    @Test
    void aCallerWhoseCertificateProvesNoNodeId_isRefused_andTheRefusalIsLoggedOnce() throws Exception {
        start();
        KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        X500Name name = new X500Name("CN=not-a-node");
        long now = CLOCK.millis();
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                BigInteger.ONE, new Date(now - 86_400_000L), new Date(now + 86_400_000L), name, rsa.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(rsa.getPrivate())));
        SslContext tls = GrpcSslContexts.configure(SslContextBuilder.forClient().keyManager(rsa.getPrivate(), cert), SslProvider.JDK)
                .trustManager(NodeTrust.expecting(serverKey.id()))
                .protocols("TLSv1.3")
                .build();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).sslContext(tls).build();
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        }
        assertThat(caller).isNotDone();
        assertThat(refused.list).extracting(ILoggingEvent::getFormattedMessage).singleElement().asString()
                .startsWith("refused a TLS caller: the certificate's key is RSA, not the Ed25519 identity key");
    }

    private void start() throws Exception {
        X509Certificate cert = NodeCertificate.selfSigned(serverKey, CLOCK);
        SslContext tls = GrpcSslContexts.configure(SslContextBuilder.forServer(serverKey.keyPair().getPrivate(), cert), SslProvider.JDK)
                .trustManager(NodeTrust.callers(refusals))
                .clientAuth(ClientAuth.REQUIRE)
                .protocols("TLSv1.3")
                .build();
        ServerInterceptor whoCalls = new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
                SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                try {
                    caller.complete(NodeCertificate.nodeIdOf((X509Certificate[]) session.getPeerCertificates()));
                } catch (Exception e) {
                    caller.completeExceptionally(e);
                }
                return next.startCall(call, headers);
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(tls)
                .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), whoCalls))
                .build()
                .start();
    }

    private ManagedChannel channel(NodeKey key, NodeTrust trust) throws Exception {
        SslContext tls = GrpcSslContexts.configure(SslContextBuilder.forClient()
                        .keyManager(key.keyPair().getPrivate(), NodeCertificate.selfSigned(key, CLOCK)), SslProvider.JDK)
                .trustManager(trust)
                .protocols("TLSv1.3")
                .build();
        return NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).sslContext(tls).build();
    }
}
