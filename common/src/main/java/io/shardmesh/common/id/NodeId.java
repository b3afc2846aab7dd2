package io.shardmesh.common.id;

import java.util.concurrent.ThreadLocalRandom;

/** A node's id: SHA-256 of its Ed25519 public key. */
public record NodeId(long w0, long w1, long w2, long w3) implements Key256 {

    /**
     * Parses the wire form.
     *
     * @throws io.shardmesh.common.error.MeshException INVALID_ARGUMENT unless {@code hex} is
     *     exactly 64 lowercase hex characters
     */
    public static NodeId fromHex(String hex) {
        return fromHex(hex, "node id");
    }

    /** Parses the wire form, naming the field in the error message ({@code "chunk_id"}). */
    public static NodeId fromHex(String hex, String field) {
        long[] w = Ids.parseHex(hex, field);
        return new NodeId(w[0], w[1], w[2], w[3]);
    }

    /** From 32 big-endian bytes (copied). */
    public static NodeId fromBytes(byte[] bytes) {
        long[] w = Ids.fromBytes(bytes, "node id");
        return new NodeId(w[0], w[1], w[2], w[3]);
    }

    /** The same 256 bits seen as a {@link ContentId}. */
    public ContentId asContentId() {
        return new ContentId(w0, w1, w2, w3);
    }

    /** A uniformly random id (tests, bucket refresh). */
    public static NodeId random() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return new NodeId(r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong());
    }

    @Override
    public String toString() {
        return hex();
    }
}
