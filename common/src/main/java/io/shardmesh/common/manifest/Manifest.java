package io.shardmesh.common.manifest;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.erasure.ErasureCodec;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.util.List;
import java.util.Optional;

/**
 * What a file is made of. Stripe i covers bytes [i·k·shardSize, (i+1)·k·shardSize) of the file
 * (the last one fewer); each of its k + m shards is ceil(stripe bytes / k) long, or that plus
 * the 16-byte GCM tag divided the same way when encrypted (see {@link #encodedStripeLength}).
 *
 * @param size the file's true size in bytes
 * @param contentSha256 SHA-256 of the plaintext; empty for encrypted files (it is sealed)
 * @param name the file name; empty for encrypted files (it is sealed)
 * @param stripes each stripe's k data then m parity shard ids
 * @param encryption present for encrypted files; never holds the key
 * @param ownerId who may delete the file
 */
public record Manifest(long size, Optional<ContentId> contentSha256, String name, int k, int m, int shardSize,
                       List<List<ContentId>> stripes, Optional<Encryption> encryption, NodeId ownerId) {

    /** The manifest format this code writes and reads. */
    public static final int FORMAT_VERSION = 1;
    /** Bytes AES-GCM adds to each stripe. */
    public static final int GCM_TAG_BYTES = 16;
    public static final int MIN_SHARD_SIZE = 1024;
    public static final int MAX_SHARD_SIZE = 16 << 20;
    /** Largest stripe (k × shard size): readers and writers hold at least one stripe in memory, and their window. */
    public static final long MAX_STRIPE_BYTES = 64L << 20;

    /** Encryption parameters of a manifest. */
    public record Encryption(byte[] sealedMetadata, byte[] metadataNonce) {
        public Encryption {
            sealedMetadata = requireNonNull(sealedMetadata, "sealedMetadata").clone();
            metadataNonce = requireNonNull(metadataNonce, "metadataNonce").clone();
        }

        @Override
        public byte[] sealedMetadata() {
            return sealedMetadata.clone();
        }

        @Override
        public byte[] metadataNonce() {
            return metadataNonce.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Encryption e && java.util.Arrays.equals(e.sealedMetadata, sealedMetadata)
                    && java.util.Arrays.equals(e.metadataNonce, metadataNonce);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(sealedMetadata);
        }
    }

    public Manifest {
        requireNonNull(contentSha256, "contentSha256");
        requireNonNull(name, "name");
        requireNonNull(encryption, "encryption");
        requireNonNull(ownerId, "ownerId");
        stripes = stripes.stream().map(List::copyOf).toList();
        checkShape(k, m, shardSize);
        if (size < 0) {
            throw MeshException.invalidArgument("manifest size must not be negative, got " + size);
        }
        long expectedStripes = stripeCount(size, k, shardSize);
        if (stripes.size() != expectedStripes) {
            throw MeshException.invalidArgument("a file of " + size + " bytes with k=" + k + " and shard size "
                    + shardSize + " has " + expectedStripes + " stripes, the manifest lists " + stripes.size());
        }
        for (int i = 0; i < stripes.size(); i++) {
            if (stripes.get(i).size() != k + m) {
                throw MeshException.invalidArgument("stripe " + i + " lists " + stripes.get(i).size()
                        + " shard ids, expected k + m = " + (k + m));
            }
        }
        if (encryption.isPresent() == contentSha256.isPresent()) {
            throw MeshException.invalidArgument(encryption.isPresent()
                    ? "an encrypted manifest must not reveal the content hash"
                    : "a plain manifest must carry the content hash");
        }
    }

    /** Validates a coding shape as users give it. */
    public static void checkShape(int k, int m, int shardSize) {
        try {
            ErasureCodec.checkShape(k, m);
        } catch (IllegalArgumentException e) {
            throw MeshException.invalidArgument(e.getMessage());
        }
        if (shardSize < MIN_SHARD_SIZE || shardSize > MAX_SHARD_SIZE) {
            throw MeshException.invalidArgument("shard size must be " + MIN_SHARD_SIZE + ".." + MAX_SHARD_SIZE
                    + " bytes, got " + shardSize);
        }
        if ((long) k * shardSize > MAX_STRIPE_BYTES) {
            throw MeshException.invalidArgument("k × shard size must be at most " + (MAX_STRIPE_BYTES >> 20)
                    + " MiB (stripes are held in memory whole), got " + k + " × " + shardSize);
        }
    }

    /** How many stripes a file of {@code size} bytes has. */
    public static long stripeCount(long size, int k, int shardSize) {
        long stripeBytes = (long) k * shardSize;
        return (size + stripeBytes - 1) / stripeBytes;
    }

    public boolean encrypted() {
        return encryption.isPresent();
    }

    /** Plaintext bytes a full stripe covers. */
    public long stripeBytes() {
        return (long) k * shardSize;
    }

    /** Plaintext bytes of stripe {@code i}. */
    public int plainStripeLength(int i) {
        return (int) Math.min(stripeBytes(), size - i * stripeBytes());
    }

    /** Bytes that are erasure coded for stripe {@code i} (ciphertext with its tag when encrypted). */
    public int encodedStripeLength(int i) {
        return plainStripeLength(i) + (encrypted() ? GCM_TAG_BYTES : 0);
    }

    /** Each shard's length in stripe {@code i}. */
    public int shardLength(int i) {
        return ErasureCodec.shardLength(k, encodedStripeLength(i));
    }

    /** Every chunk id the file uses, once each. */
    public List<ContentId> allChunkIds() {
        return stripes.stream().flatMap(List::stream).distinct().toList();
    }
}
