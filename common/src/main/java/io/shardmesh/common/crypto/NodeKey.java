package io.shardmesh.common.crypto;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.id.NodeId;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;

/**
 * An Ed25519 key pair that signs on behalf of a node (or of a client that owns files). Its id
 * is SHA-256 of the raw public key.
 */
public final class NodeKey {

    private final KeyPair keyPair;
    private final byte[] publicKeyRaw;
    private final NodeId id;

    private NodeKey(KeyPair keyPair) {
        this.keyPair = requireNonNull(keyPair, "keyPair");
        this.publicKeyRaw = Ed25519.raw(keyPair.getPublic());
        this.id = Ed25519.nodeIdOf(publicKeyRaw);
    }

    /** Wraps an existing Ed25519 key pair; the id is derived from it. */
    public static NodeKey of(KeyPair keyPair) {
        return new NodeKey(keyPair);
    }

    /** The key pair (to persist it). */
    public KeyPair keyPair() {
        return keyPair;
    }

    /** SHA-256 of the raw public key. */
    public NodeId id() {
        return id;
    }

    /** A fresh random key. */
    public static NodeKey generate() {
        try {
            return of(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no Ed25519 (needs Java 15+)", e);
        }
    }

    /** The raw 32-byte public key. */
    public byte[] publicKeyRaw() {
        return publicKeyRaw.clone();
    }

    /** Signs {@code message}; 64 bytes. */
    public byte[] sign(byte[] message) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(keyPair.getPrivate());
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    /** Signs an action's payload now, as an {@link OwnerProof}. */
    public OwnerProof prove(SignedAction action, long nowUnixMs) {
        return new OwnerProof(publicKeyRaw(), nowUnixMs, sign(action.payload(nowUnixMs)));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeKey other && other.id.equals(id);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "NodeKey[" + id + "]";
    }
}
