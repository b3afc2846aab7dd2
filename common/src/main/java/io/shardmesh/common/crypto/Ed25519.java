package io.shardmesh.common.crypto;

import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.NodeId;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

/** Ed25519 public keys in their raw 32-byte form, as they travel on the wire. */
public final class Ed25519 {

    /** Raw public key length (RFC 8032). */
    public static final int PUBLIC_KEY_BYTES = 32;

    /** Signature length (RFC 8032). */
    public static final int SIGNATURE_BYTES = 64;

    /** The fixed X.509 SubjectPublicKeyInfo prefix of an Ed25519 key (RFC 8410). */
    private static final byte[] X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private Ed25519() {
    }

    /** The node id that belongs to a raw public key: SHA-256 of it. */
    public static NodeId nodeIdOf(byte[] rawPublicKey) {
        checkRawKey(rawPublicKey);
        return Sha256.of(rawPublicKey).asNodeId();
    }

    /** The raw 32 bytes of an Ed25519 public key. */
    public static byte[] raw(PublicKey key) {
        byte[] x509 = key.getEncoded();
        if (x509.length != X509_PREFIX.length + PUBLIC_KEY_BYTES
                || !Arrays.equals(x509, 0, X509_PREFIX.length, X509_PREFIX, 0, X509_PREFIX.length)) {
            throw new IllegalArgumentException("not an Ed25519 public key: " + key.getAlgorithm());
        }
        return Arrays.copyOfRange(x509, X509_PREFIX.length, x509.length);
    }

    /** A public key from its raw 32 bytes. */
    public static PublicKey publicKey(byte[] rawPublicKey) {
        checkRawKey(rawPublicKey);
        byte[] x509 = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + PUBLIC_KEY_BYTES);
        System.arraycopy(rawPublicKey, 0, x509, X509_PREFIX.length, PUBLIC_KEY_BYTES);
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(x509));
        } catch (GeneralSecurityException e) {
            throw MeshException.invalidArgument("not a valid Ed25519 public key: " + e.getMessage());
        }
    }

    /**
     * Whether {@code signature} is a valid signature of {@code message} by {@code rawPublicKey}.
     * Malformed keys and signatures are simply invalid.
     */
    public static boolean verify(byte[] rawPublicKey, byte[] message, byte[] signature) {
        if (rawPublicKey == null || rawPublicKey.length != PUBLIC_KEY_BYTES
                || signature == null || signature.length != SIGNATURE_BYTES) {
            return false;
        }
        try {
            Signature v = Signature.getInstance("Ed25519");
            v.initVerify(publicKey(rawPublicKey));
            v.update(message);
            return v.verify(signature);
        } catch (GeneralSecurityException | MeshException e) {
            return false;
        }
    }

    private static void checkRawKey(byte[] rawPublicKey) {
        if (rawPublicKey == null || rawPublicKey.length != PUBLIC_KEY_BYTES) {
            throw MeshException.invalidArgument("an Ed25519 public key must be " + PUBLIC_KEY_BYTES
                    + " bytes, got " + (rawPublicKey == null ? "none" : rawPublicKey.length));
        }
    }
}
