package io.shardmesh.common.id;

import java.util.Comparator;

/**
 * A point in Kademlia's 256-bit id space, held as four big-endian 64-bit words so that XOR
 * distances compare without allocating: lookups sort contacts by distance millions of times in
 * a simulated network.
 */
public sealed interface Key256 permits NodeId, ContentId {

    /** Size of an id in bytes. */
    int BYTES = 32;

    /** Size of an id in bits, and the number of k-buckets. */
    int BITS = 256;

    /** Bits 255..192. */
    long w0();

    /** Bits 191..128. */
    long w1();

    /** Bits 127..64. */
    long w2();

    /** Bits 63..0. */
    long w3();

    /** A fresh big-endian copy of the 32 bytes. */
    default byte[] bytes() {
        return Ids.toBytes(w0(), w1(), w2(), w3());
    }

    /** The wire form: 64 lowercase hex characters. */
    default String hex() {
        return Ids.toHex(w0(), w1(), w2(), w3());
    }

    /**
     * The index of the k-bucket that {@code other} falls in, seen from this id: the position of
     * the highest bit in which they differ (0..255), or -1 when the ids are equal. Bucket i holds
     * the ids at XOR distance [2^i, 2^(i+1)).
     */
    default int bucketIndex(Key256 other) {
        long x = w0() ^ other.w0();
        if (x != 0) {
            return 255 - Long.numberOfLeadingZeros(x);
        }
        x = w1() ^ other.w1();
        if (x != 0) {
            return 191 - Long.numberOfLeadingZeros(x);
        }
        x = w2() ^ other.w2();
        if (x != 0) {
            return 127 - Long.numberOfLeadingZeros(x);
        }
        x = w3() ^ other.w3();
        if (x != 0) {
            return 63 - Long.numberOfLeadingZeros(x);
        }
        return -1;
    }

    /** The XOR distance to {@code other}, as 32 big-endian bytes. */
    default byte[] distanceTo(Key256 other) {
        return Ids.toBytes(w0() ^ other.w0(), w1() ^ other.w1(), w2() ^ other.w2(), w3() ^ other.w3());
    }

    /**
     * Compares the XOR distances of {@code a} and {@code b} to this id: negative when {@code a}
     * is closer, zero when they are the same id.
     */
    default int compareDistance(Key256 a, Key256 b) {
        int c = Long.compareUnsigned(a.w0() ^ w0(), b.w0() ^ w0());
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(a.w1() ^ w1(), b.w1() ^ w1());
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(a.w2() ^ w2(), b.w2() ^ w2());
        if (c != 0) {
            return c;
        }
        return Long.compareUnsigned(a.w3() ^ w3(), b.w3() ^ w3());
    }

    /** Orders keys closest-first to {@code target}. */
    static <K extends Key256> Comparator<K> closestTo(Key256 target) {
        return target::compareDistance;
    }
}
