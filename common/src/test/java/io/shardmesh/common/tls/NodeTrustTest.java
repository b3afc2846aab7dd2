package io.shardmesh.common.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.id.NodeId;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/** Real TLS 1.3 handshakes over loopback with the JDK's own TLS, both sides authenticated. */
class NodeTrustTest {

    private static final Clock CLOCK = Clock.systemUTC();

    @Test
    void mutualHandshake_eachSideLearnsTheOthersNodeId() throws Exception {
        NodeKey server = NodeKey.generate();
        NodeKey client = NodeKey.generate();
        Handshake h = handshake(server, NodeTrust.anyNode(), client, NodeTrust.expecting(server.id()));
        assertThat(h.clientSaw()).isEqualTo(server.id());
        assertThat(h.serverSaw().join()).isEqualTo(client.id());
        assertThat(h.protocol()).isEqualTo("TLSv1.3");
    }

    @Test
    void clientMeaningAnotherNode_isRefused_namingBoth() throws Exception {
        NodeKey server = NodeKey.generate();
        NodeId meant = NodeKey.generate().id();
        assertThatThrownBy(() -> handshake(server, NodeTrust.anyNode(), NodeKey.generate(), NodeTrust.expecting(meant)))
                .isInstanceOf(SSLHandshakeException.class)
                .hasMessageContaining(server.id().hex())
                .hasMessageContaining(meant.hex());
    }

    @Test
    void anotherNodesCertificate_cannotBePresentedWithoutItsKey() throws Exception {
        // The impostor presents the victim's certificate, but signs the handshake with its own key.
        NodeKey victim = NodeKey.generate();
        NodeKey impostor = NodeKey.generate();
        X509Certificate stolen = NodeCertificate.selfSigned(victim, CLOCK);
        SSLContext server = context(impostor.keyPair().getPrivate(), stolen, NodeTrust.anyNode());
        assertThatThrownBy(() -> handshake(server, context(NodeKey.generate(), NodeTrust.expecting(victim.id()))))
                .isInstanceOf(IOException.class);
    }

    @Test
    void certificateOfSomeoneElsesKey_signedByAnother_isRefused() throws Exception {
        NodeKey victim = NodeKey.generate();
        NodeKey signer = NodeKey.generate();
        X509Certificate forged = certificate(victim.keyPair().getPublic(), signer.keyPair().getPrivate(), "Ed25519");
        assertThatThrownBy(() -> NodeCertificate.nodeIdOf(new X509Certificate[] {forged}))
                .isInstanceOf(CertificateException.class)
                .hasMessageContaining("not signed by its own key");
    }

    @Test
    void nonEd25519Key_andChainsOfOtherThanOne_areRefused() throws Exception {
        KeyPair ec = KeyPairGenerator.getInstance("EC").generateKeyPair();
        X509Certificate ecCert = certificate(ec.getPublic(), ec.getPrivate(), "SHA256withECDSA");
        assertThatThrownBy(() -> NodeCertificate.nodeIdOf(new X509Certificate[] {ecCert}))
                .isInstanceOf(CertificateException.class)
                .hasMessageContaining("not the Ed25519 identity key");
        X509Certificate good = NodeCertificate.selfSigned(NodeKey.generate(), CLOCK);
        assertThatThrownBy(() -> NodeCertificate.nodeIdOf(new X509Certificate[] {good, good}))
                .hasMessageContaining("exactly one");
        assertThatThrownBy(() -> NodeCertificate.nodeIdOf(new X509Certificate[0]))
                .hasMessageContaining("exactly one");
    }

    @Test
    void selfSignedCertificate_provesTheKeysNodeId() throws Exception {
        NodeKey key = NodeKey.generate();
        assertThat(NodeCertificate.nodeIdOf(new X509Certificate[] {NodeCertificate.selfSigned(key, CLOCK)})).isEqualTo(key.id());
        assertThat(NodeTrust.expecting(key.id()).check(new X509Certificate[] {NodeCertificate.selfSigned(key, CLOCK)}))
                .isEqualTo(key.id());
    }

    private record Handshake(NodeId clientSaw, CompletableFuture<NodeId> serverSaw, String protocol) {
    }

    private static Handshake handshake(NodeKey server, NodeTrust serverTrust, NodeKey client, NodeTrust clientTrust) throws Exception {
        return handshake(context(server, serverTrust), context(client, clientTrust));
    }

    private static Handshake handshake(SSLContext server, SSLContext client) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setNeedClientAuth(true);
            CompletableFuture<NodeId> serverSaw = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setSoTimeout(10_000);
                    s.startHandshake();
                    NodeId id = NodeCertificate.nodeIdOf((X509Certificate[]) s.getSession().getPeerCertificates());
                    s.getOutputStream().write(1);
                    s.getOutputStream().flush();
                    return id;
                } catch (IOException | CertificateException e) {
                    throw new IllegalStateException(e);
                }
            });
            NodeId clientSaw;
            String protocol;
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                    listener.getLocalPort())) {
                s.setSoTimeout(10_000);
                s.startHandshake();
                NodeId saw = NodeCertificate.nodeIdOf((X509Certificate[]) s.getSession().getPeerCertificates());
                // TLS 1.3 ends the client's handshake before the server has checked the client:
                // a byte from the server means it accepted.
                int b = s.getInputStream().read();
                if (b != 1) {
                    throw new SSLHandshakeException("the server closed the connection");
                }
                protocol = s.getSession().getProtocol();
                clientSaw = saw;
            }
            // After the client's close: the server's close waits for the client's close_notify.
            serverSaw.get(10, TimeUnit.SECONDS);
            return new Handshake(clientSaw, serverSaw, protocol);
        }
    }

    private static SSLContext context(NodeKey key, NodeTrust trust) throws Exception {
        return context(key.keyPair().getPrivate(), NodeCertificate.selfSigned(key, CLOCK), trust);
    }

    private static SSLContext context(PrivateKey key, X509Certificate cert, NodeTrust trust) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("node", key, new char[0], new Certificate[] {cert});
        KeyManagerFactory keys = KeyManagerFactory.getInstance("SunX509");
        keys.init(store, new char[0]);
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        tls.init(keys.getKeyManagers(), new TrustManager[] {trust}, null);
        return tls;
    }

    private static X509Certificate certificate(PublicKey subjectKey, PrivateKey signingKey, String algorithm) throws Exception {
        X500Name name = new X500Name("CN=test");
        long now = System.currentTimeMillis();
        var builder = new JcaX509v3CertificateBuilder(name, BigInteger.TEN, new Date(now - 60_000), new Date(now + 3_600_000),
                name, subjectKey);
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(signingKey)));
    }
}
