package io.shardmesh.benchmarks;

import io.shardmesh.common.erasure.ErasureCodec;
import java.util.Random;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Reed-Solomon through {@link ErasureCodec}, one stripe per operation: encode (k data shards cut
 * from the stripe, m parity shards computed) and rebuild with m data shards missing (the
 * degraded read's worst case). Throughput in stripes per second; times k × shard bytes is MB/s.
 */
public class ErasureBenchmark extends Settings {

    /** k+m: the default, and a wider one. */
    @Param({"4+2", "8+4"})
    public String shape;

    /** Bytes per shard: the default shard size, and a GetChunk frame's. */
    @Param({"1048576", "262144"})
    public int shardBytes;

    private ErasureCodec codec;
    private byte[] stripe;
    private byte[][] shards;
    private byte[][] damaged;

    @Setup(Level.Trial)
    public void setUp() {
        String[] km = shape.split("\\+");
        codec = ErasureCodec.create(Integer.parseInt(km[0]), Integer.parseInt(km[1]));
        stripe = new byte[codec.dataShards() * shardBytes];
        new Random(42).nextBytes(stripe);
        shards = codec.encode(stripe, 0, stripe.length);
        damaged = new byte[shards.length][];
    }

    @Setup(Level.Invocation)
    public void loseDataShards() {
        // The first m data shards are gone: the most work a rebuild can have.
        for (int i = 0; i < shards.length; i++) {
            damaged[i] = i < codec.parityShards() ? null : shards[i];
        }
    }

    @Benchmark
    public byte[][] encode() {
        return codec.encode(stripe, 0, stripe.length);
    }

    @Benchmark
    public int[] rebuild() {
        return codec.reconstruct(damaged, stripe.length);
    }
}
