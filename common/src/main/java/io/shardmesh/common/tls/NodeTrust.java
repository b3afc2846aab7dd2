package io.shardmesh.common.tls;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.RefusalLog;
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
    /** Where a server logs the callers it refuses; empty on the client side, whose caller reports the failure. */
    private final Optional<RefusalLog> refusals;

    private NodeTrust(Optional<NodeId> expected, Optional<RefusalLog> refusals) {
        this.expected = expected;
        this.refusals = refusals;
    }

    /** Accepts any peer that proves an identity: a node's callers, or a first contact. */
    public static NodeTrust anyNode() {
        return new NodeTrust(Optional.empty(), Optional.empty());
    }

    /** As {@link #anyNode()}, for a server: a caller whose certificate proves no node id is logged to {@code refusals}. */
    public static NodeTrust callers(RefusalLog refusals) {
        return new NodeTrust(Optional.empty(), Optional.of(requireNonNull(refusals, "refusals")));
    }

    /** Accepts only {@code node}: a call meant for it fails if anyone else answers. */
    public static NodeTrust expecting(NodeId node) {
        return new NodeTrust(Optional.of(requireNonNull(node, "node")), Optional.empty());
    }

    /** The node id {@code chain} proves, checked against the one expected. */
    NodeId check(X509Certificate[] chain) throws CertificateException {
        NodeId id = NodeCertificate.nodeIdOf(chain);
        if (expected.isPresent() && !expected.get().equals(id)) {
            throw new WrongNode(expected.get(), id);
        }
        return id;
    }

    /**
     * The refusal of a handshake in which another node than the one meant answered: the address
     * now hosts {@code answered} (a node rebuilt with a new key, or an impostor that holds its
     * own key but not the one meant). A caller finds it in the failed call's causes.
     */
    public static final class WrongNode extends CertificateException {
        private static final long serialVersionUID = 1L;

        private final transient NodeId expected;
        private final transient NodeId answered;

        WrongNode(NodeId expected, NodeId answered) {
            super("the peer is node " + answered.hex() + ", not node " + expected.hex() + " that was meant");
            this.expected = expected;
            this.answered = answered;
        }

        public NodeId expected() {
            return expected;
        }

        public NodeId answered() {
            return answered;
        }
    }

    /** {@link #check}, for a caller's certificate: a refusal is logged. */
    private void checkCaller(X509Certificate[] chain) throws CertificateException {
        try {
            check(chain);
        } catch (CertificateException e) {
            refusals.ifPresent(r -> r.refused("certificate", "refused a TLS caller: " + e.getMessage()));
            throw e;
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkCaller(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkCaller(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkCaller(chain);
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
