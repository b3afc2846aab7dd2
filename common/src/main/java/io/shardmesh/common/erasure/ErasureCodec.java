package io.shardmesh.common.erasure;

/**
 * Codes one stripe into k data shards and m parity shards of equal length, and rebuilds the
 * stripe from any k of them.
 *
 * <p>A stripe of {@code length} bytes is cut into k shards of {@link #shardLength(int, long)}
 * bytes each, the last ones zero-padded. The codec never infers the true length from the
 * padding: the caller carries it (the manifest records the file's size).
 *
 * <p>Instances are immutable and thread-safe; make one per (k, m) and share it.
 */
public interface ErasureCodec {

    /** The most shards a stripe can have (a limit of GF(2^8) Reed-Solomon). */
    int MAX_TOTAL_SHARDS = 256;

    /**
     * A Reed-Solomon codec with {@code k} data shards and {@code m} parity shards.
     *
     * @throws IllegalArgumentException unless k &ge; 1, m &ge; 0 and k + m &le; 256
     */
    static ErasureCodec create(int k, int m) {
        checkShape(k, m);
        return new ReedSolomonCodec(k, m);
    }

    /** Checks a (k, m) pair as {@link #create} would, for validating config early. */
    static void checkShape(int k, int m) {
        if (k < 1) {
            throw new IllegalArgumentException("k (data shards) must be at least 1, got " + k);
        }
        if (m < 0) {
            throw new IllegalArgumentException("m (parity shards) must be at least 0, got " + m);
        }
        // In long: a k and m that come off the wire (uint32) can overflow an int sum past this check.
        if ((long) k + m > MAX_TOTAL_SHARDS) {
            throw new IllegalArgumentException("k + m must be at most " + MAX_TOTAL_SHARDS + ", got "
                    + k + " + " + m + " = " + ((long) k + m));
        }
    }

    /** Bytes per shard for a stripe of {@code stripeLength} bytes: ceil(length / k). */
    static int shardLength(int k, long stripeLength) {
        long len = (stripeLength + k - 1) / k;
        if (len > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("stripe of " + stripeLength + " bytes is too long for k=" + k);
        }
        return (int) len;
    }

    /** k. */
    int dataShards();

    /** m. */
    int parityShards();

    /** k + m. */
    default int totalShards() {
        return dataShards() + parityShards();
    }

    /**
     * Codes {@code length} bytes of {@code stripe} from {@code offset}.
     *
     * @return k + m new arrays of {@code shardLength(k, length)} bytes: data shards first
     */
    byte[][] encode(byte[] stripe, int offset, int length);

    /**
     * Rebuilds a stripe's bytes from its shards.
     *
     * @param shards k + m entries in shard order, {@code null} for each missing shard; present
     *     shards must all have the same length. Entries for missing data shards are filled in.
     * @param length the stripe's true length in bytes
     * @return the stripe's {@code length} bytes
     * @throws io.shardmesh.common.error.MeshException UNAVAILABLE when fewer than k shards are present
     * @throws IllegalArgumentException when the shards do not fit this codec or {@code length}
     */
    byte[] decode(byte[][] shards, int length);

    /**
     * Fills in the missing data shards of a stripe in place, without copying the stripe out:
     * the reader's path when it hands the data shards on as they are.
     *
     * @param shards as for {@link #decode}; on return every data shard entry is set
     * @param length the stripe's true length in bytes
     * @return the indexes of the data shards that were rebuilt (empty when none was missing)
     * @throws io.shardmesh.common.error.MeshException UNAVAILABLE when fewer than k shards are present
     */
    int[] reconstruct(byte[][] shards, int length);
}
