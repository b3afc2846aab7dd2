package io.shardmesh.common.tls;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.id.NodeId;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Whom a TLS handshake accepts: any peer whose certificate proves a node id
 * ({@link NodeCertificate#nodeIdOf}), and, when a caller dialled a particular node, only that
 * node. No certificate authority, no host names: an address is where a node was last seen, and
 * the id is who it is. The id a handshake proved is read back from the session's peer
 * certificate with {@link NodeCertificate#nodeIdOf}.
 */
public final class NodeTrust extends X509ExtendedTrustManager {

    private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

    private final Optional<NodeId> expected;

    private NodeTrust(Optional<NodeId> expected) {
        this.expected = expected;
    }

    /** Accepts any peer that proves an identity: a node's callers, or a first contact. */
    public static NodeTrust anyNode() {
        return new NodeTrust(Optional.empty());
    }

    /** Accepts only {@code node}: a call meant for it fails if anyone else answers. */
    public static NodeTrust expecting(NodeId node) {
        return new NodeTrust(Optional.of(requireNonNull(node, "node")));
    }

    /** The node id {@code chain} proves, checked against the one expected. */
    NodeId check(X509Certificate[] chain) throws CertificateException {
        NodeId id = NodeCertificate.nodeIdOf(chain);
        if (expected.isPresent() && !expected.get().equals(id)) {
            throw new CertificateException("the peer is node " + id.hex() + ", not node " + expected.get().hex()
                    + " that was meant");
        }
        return id;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain);
    }

    /** None: an empty list lets a peer present its self-signed certificate (TLS 1.3 sends no CA names). */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return NO_ISSUERS.clone();
    }
}
