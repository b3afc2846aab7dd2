package io.shardmesh.common.hash;

import io.shardmesh.common.id.ContentId;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 one-shot and streaming, answering {@link ContentId}s. */
public final class Sha256 {

    private Sha256() {
    }

    /** The id of {@code data}. */
    public static ContentId of(byte[] data) {
        return of(data, 0, data.length);
    }

    /** The id of {@code length} bytes of {@code data} from {@code offset}. */
    public static ContentId of(byte[] data, int offset, int length) {
        MessageDigest d = digest();
        d.update(data, offset, length);
        return ContentId.fromBytes(d.digest());
    }

    /** The id of the remaining bytes of {@code data}; its position is left unchanged. */
    public static ContentId of(ByteBuffer data) {
        MessageDigest d = digest();
        d.update(data.duplicate());
        return ContentId.fromBytes(d.digest());
    }

    /** A streaming hasher for data that arrives in pieces. Not thread-safe. */
    public static Hasher hasher() {
        return new Hasher(digest());
    }

    /** Incremental SHA-256. */
    public static final class Hasher {

        private final MessageDigest digest;
        private long bytes;

        private Hasher(MessageDigest digest) {
            this.digest = digest;
        }

        public Hasher update(byte[] data, int offset, int length) {
            digest.update(data, offset, length);
            bytes += length;
            return this;
        }

        public Hasher update(byte[] data) {
            return update(data, 0, data.length);
        }

        /** Hashes the remaining bytes of {@code data} and consumes them. */
        public Hasher update(ByteBuffer data) {
            bytes += data.remaining();
            digest.update(data);
            return this;
        }

        /** Bytes hashed so far. */
        public long bytes() {
            return bytes;
        }

        /** The hash of everything so far; the hasher may not be used afterwards. */
        public ContentId finish() {
            return ContentId.fromBytes(digest.digest());
        }
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide SHA-256 (MessageDigest's Javadoc).
            throw new AssertionError("SHA-256 is not available", e);
        }
    }
}
