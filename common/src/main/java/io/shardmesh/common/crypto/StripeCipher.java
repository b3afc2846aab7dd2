package io.shardmesh.common.crypto;

import io.shardmesh.common.error.MeshException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM for one file: a random 256-bit key per file, each stripe sealed under the nonce
 * made of its index, so stripes cannot be swapped or reordered without the tag failing. The
 * metadata (name, content hash) is sealed under a nonce no stripe can have.
 */
public final class StripeCipher {

    public static final int KEY_BYTES = 32;
    public static final int NONCE_BYTES = 12;
    public static final int TAG_BITS = 128;

    private final SecretKeySpec key;

    private StripeCipher(byte[] key) {
        if (key.length != KEY_BYTES) {
            throw MeshException.invalidArgument("a file key is " + KEY_BYTES + " bytes, got " + key.length);
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    /** A fresh random key. */
    public static byte[] newKey() {
        byte[] k = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(k);
        return k;
    }

    public static StripeCipher of(byte[] key) {
        return new StripeCipher(key);
    }

    /** The nonce of stripe {@code index}: 4 zero bytes, then the index big-endian. */
    public static byte[] stripeNonce(long index) {
        return ByteBuffer.allocate(NONCE_BYTES).putInt(0).putLong(index).array();
    }

    /** The nonce of the sealed metadata: 0xffffffff then zeros, which no stripe index produces. */
    public static byte[] metadataNonce() {
        return ByteBuffer.allocate(NONCE_BYTES).putInt(-1).putLong(0).array();
    }

    public byte[] seal(byte[] nonce, byte[] plain, int offset, int length) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            return c.doFinal(plain, offset, length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /**
     * Opens sealed bytes.
     *
     * @throws MeshException PERMISSION_DENIED when the tag does not verify: the wrong key (the
     *     shards were already checked against their hashes, so it is not damage)
     */
    public byte[] open(byte[] nonce, byte[] sealed) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            return c.doFinal(sealed);
        } catch (AEADBadTagException e) {
            throw MeshException.permissionDenied("the key does not open this file (wrong key)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /** {@code <file-id>:<base64url key>}. */
    public static String capability(io.shardmesh.common.id.ContentId fileId, byte[] key) {
        return fileId.hex() + ":" + Base64.getUrlEncoder().withoutPadding().encodeToString(key);
    }

    /** The key part of a capability (base64url, with or without padding). */
    public static byte[] parseKey(String base64url) {
        try {
            byte[] k = Base64.getUrlDecoder().decode(base64url.trim());
            if (k.length != KEY_BYTES) {
                throw MeshException.invalidArgument("a file key is " + KEY_BYTES + " bytes of base64url, got " + k.length + " bytes");
            }
            return k;
        } catch (IllegalArgumentException e) {
            throw MeshException.invalidArgument("the key is not base64url: " + e.getMessage());
        }
    }
}
