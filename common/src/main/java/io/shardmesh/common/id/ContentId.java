package io.shardmesh.common.id;

import io.shardmesh.common.error.MeshException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** The id of content: SHA-256 of a chunk's bytes or of a manifest (the file id), or a DHT key. */
public record ContentId(long w0, long w1, long w2, long w3) implements Key256 {

    /**
     * Parses the wire form.
     *
     * @throws io.shardmesh.common.error.MeshException INVALID_ARGUMENT unless {@code hex} is
     *     exactly 64 lowercase hex characters
     */
    public static ContentId fromHex(String hex) {
        return fromHex(hex, "content id");
    }

    /** Parses the wire form, naming the field in the error message ({@code "chunk_id"}). */
    public static ContentId fromHex(String hex, String field) {
        long[] w = Ids.parseHex(hex, field);
        return new ContentId(w[0], w[1], w[2], w[3]);
    }

    /**
     * Parses a list of wire ids, naming each bad one by its index ({@code "chunk_ids[3]"}).
     *
     * @throws MeshException INVALID_ARGUMENT for a bad id or more than {@code max} of them
     */
    public static List<ContentId> fromHex(List<String> hexes, String field, int max) {
        if (hexes.size() > max) {
            throw MeshException.invalidArgument(field + " has " + hexes.size() + " entries; at most " + max + " are allowed");
        }
        List<ContentId> out = new ArrayList<>(hexes.size());
        for (int i = 0; i < hexes.size(); i++) {
            out.add(fromHex(hexes.get(i), field + "[" + i + "]"));
        }
        return out;
    }

    /** The wire form of each id. */
    public static List<String> hex(List<ContentId> ids) {
        return ids.stream().map(ContentId::hex).toList();
    }

    /** From 32 big-endian bytes (copied). */
    public static ContentId fromBytes(byte[] bytes) {
        long[] w = Ids.fromBytes(bytes, "content id");
        return new ContentId(w[0], w[1], w[2], w[3]);
    }

    /** The same 256 bits seen as a {@link NodeId}. */
    public NodeId asNodeId() {
        return new NodeId(w0, w1, w2, w3);
    }

    /** A uniformly random id (tests, bucket refresh). */
    public static ContentId random() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return new ContentId(r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong());
    }

    @Override
    public String toString() {
        return hex();
    }
}
