package io.shardmesh.common.tls;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.Ed25519;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.id.NodeId;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A node's TLS certificate: self-signed, its subject key the node's own Ed25519 identity key, so
 * a completed handshake proves the peer holds the private key of the node id SHA-256(public key).
 * No certificate authority is involved and none is trusted (as libp2p's TLS handshake, with the
 * identity key as the certificate key rather than in an extension: TLS 1.3 in the JDK, Go and
 * OpenSSL all speak Ed25519).
 *
 * <p>Dates are not part of the proof: a node id lives as long as its key, and clocks on a mesh
 * disagree. Certificates are made valid from a day before now for {@link #VALIDITY}, and
 * {@link #nodeIdOf} does not look at them.
 */
public final class NodeCertificate {

    /** How long a certificate made now says it is valid; made afresh at every start. */
    public static final Duration VALIDITY = Duration.ofDays(3650);

    private NodeCertificate() {
    }

    /** A self-signed certificate for {@code key}, as a TLS key manager presents it. */
    public static X509Certificate selfSigned(NodeKey key, Clock clock) {
        requireNonNull(key, "key");
        long now = clock.millis();
        X500Name subject = new X500Name("O=shardmesh, CN=" + key.id().hex());
        try {
            var builder = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(now), new Date(now - Duration.ofDays(1).toMillis()),
                    new Date(now + VALIDITY.toMillis()), subject, key.keyPair().getPublic());
            var signer = new JcaContentSignerBuilder("Ed25519").build(key.keyPair().getPrivate());
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("cannot make a certificate for " + key.id() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The node id a peer's certificate chain proves: exactly one certificate, an Ed25519 key,
     * signed by that same key. The handshake has already proved the peer holds the private key.
     *
     * @throws CertificateException with a reason a log line can carry, for anything else
     */
    public static NodeId nodeIdOf(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length != 1) {
            throw new CertificateException("a node presents exactly one self-signed certificate, got "
                    + (chain == null ? "none" : chain.length));
        }
        PublicKey key = chain[0].getPublicKey();
        byte[] raw;
        try {
            raw = Ed25519.raw(key);
        } catch (IllegalArgumentException e) {
            throw new CertificateException("the certificate's key is " + key.getAlgorithm()
                    + ", not the Ed25519 identity key a node id comes from");
        }
        try {
            chain[0].verify(key);
        } catch (GeneralSecurityException e) {
            throw new CertificateException("the certificate is not signed by its own key (" + e.getMessage() + ")");
        }
        return Ed25519.nodeIdOf(raw);
    }
}
