package io.shardmesh.common.crypto;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.NodeId;
import java.time.Duration;

/**
 * A signature that proves the signer (an owner) asked for a {@link SignedAction} at a given
 * time. Receivers reject proofs further than {@link #MAX_CLOCK_SKEW} from their own clock, so a
 * captured request cannot be replayed for long.
 */
public record OwnerProof(byte[] publicKey, long signedAtUnixMs, byte[] signature) {

    /** How far a proof's time may be from the receiver's clock. */
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(10);

    public OwnerProof {
        publicKey = requireNonNull(publicKey, "publicKey").clone();
        signature = requireNonNull(signature, "signature").clone();
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** The signer's id. */
    public NodeId signerId() {
        return Ed25519.nodeIdOf(publicKey);
    }

    /**
     * Checks the proof for {@code action} at the receiver's time {@code nowUnixMs}.
     *
     * @return the signer's id
     * @throws MeshException PERMISSION_DENIED when the key is malformed, the time is off by more
     *     than {@link #MAX_CLOCK_SKEW}, or the signature does not verify
     */
    public NodeId verify(SignedAction action, long nowUnixMs) {
        if (publicKey.length != Ed25519.PUBLIC_KEY_BYTES) {
            throw MeshException.permissionDenied("owner public key must be " + Ed25519.PUBLIC_KEY_BYTES
                    + " bytes, got " + publicKey.length);
        }
        long skew = Math.abs(nowUnixMs - signedAtUnixMs);
        if (skew > MAX_CLOCK_SKEW.toMillis()) {
            throw MeshException.permissionDenied("owner signature was made at " + signedAtUnixMs
                    + " ms, " + skew / 1000 + " s away from this node's clock (at most "
                    + MAX_CLOCK_SKEW.toSeconds() + " s allowed)");
        }
        if (!Ed25519.verify(publicKey, action.payload(signedAtUnixMs), signature)) {
            throw MeshException.permissionDenied("owner signature does not verify for " + action.verb()
                    + " of " + action.fileId());
        }
        return signerId();
    }
}
