package io.shardmesh.common.erasure;

import com.backblaze.erasure.ReedSolomon;
import io.shardmesh.common.error.MeshException;

/** {@link ErasureCodec} over Backblaze's JavaReedSolomon (Vandermonde-derived, systematic). */
final class ReedSolomonCodec implements ErasureCodec {

    private final int k;
    private final int m;
    /** Null when m = 0: there is nothing to code, and the library wants at least one parity row. */
    private final ReedSolomon rs;

    ReedSolomonCodec(int k, int m) {
        this.k = k;
        this.m = m;
        this.rs = m == 0 ? null : ReedSolomon.create(k, m);
    }

    @Override
    public int dataShards() {
        return k;
    }

    @Override
    public int parityShards() {
        return m;
    }

    @Override
    public byte[][] encode(byte[] stripe, int offset, int length) {
        if (offset < 0 || length < 0 || offset > stripe.length - length) {
            throw new IllegalArgumentException("range [" + offset + ", " + offset + " + " + length
                    + ") is outside a stripe buffer of " + stripe.length + " bytes");
        }
        int shardLength = ErasureCodec.shardLength(k, length);
        byte[][] shards = new byte[k + m][shardLength];
        for (int i = 0; i < k; i++) {
            int from = i * shardLength;
            int n = Math.max(0, Math.min(shardLength, length - from));
            if (n > 0) {
                System.arraycopy(stripe, offset + from, shards[i], 0, n);
            }
        }
        if (rs != null && shardLength > 0) {
            rs.encodeParity(shards, 0, shardLength);
        }
        return shards;
    }

    @Override
    public byte[] decode(byte[][] shards, int length) {
        reconstruct(shards, length);
        int shardLength = ErasureCodec.shardLength(k, length);
        byte[] out = new byte[length];
        for (int i = 0; i < k; i++) {
            int from = i * shardLength;
            int n = Math.max(0, Math.min(shardLength, length - from));
            if (n > 0) {
                System.arraycopy(shards[i], 0, out, from, n);
            }
        }
        return out;
    }

    @Override
    public int[] reconstruct(byte[][] shards, int length) {
        if (shards.length != k + m) {
            throw new IllegalArgumentException("expected " + (k + m) + " shard slots for " + k + "+" + m
                    + ", got " + shards.length);
        }
        int shardLength = ErasureCodec.shardLength(k, length);
        boolean[] present = new boolean[k + m];
        int count = 0;
        int missingData = 0;
        for (int i = 0; i < shards.length; i++) {
            if (shards[i] != null) {
                if (shards[i].length != shardLength) {
                    throw new IllegalArgumentException("shard " + i + " has " + shards[i].length
                            + " bytes; a stripe of " + length + " bytes with k=" + k + " needs "
                            + shardLength);
                }
                present[i] = true;
                count++;
            } else if (i < k) {
                missingData++;
            }
        }
        if (count < k) {
            throw MeshException.unavailable("cannot rebuild the stripe: it needs " + k + " of its "
                    + (k + m) + " shards, only " + count + " are present");
        }
        int[] rebuilt = new int[missingData];
        if (missingData > 0) {
            for (int i = 0, r = 0; i < shards.length; i++) {
                if (shards[i] == null) {
                    shards[i] = new byte[shardLength];
                    if (i < k) {
                        rebuilt[r++] = i;
                    }
                }
            }
            if (shardLength > 0) {
                rs.decodeMissing(shards, present, 0, shardLength);
            }
            // decodeMissing also refills absent parity; callers treat the array as theirs.
        }
        return rebuilt;
    }

    @Override
    public String toString() {
        return "ReedSolomon(" + k + "+" + m + ")";
    }
}
