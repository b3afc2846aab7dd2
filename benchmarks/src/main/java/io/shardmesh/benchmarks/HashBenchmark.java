package io.shardmesh.benchmarks;

import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * SHA-256 of one shard in the forms the pipelines hash: a byte[] (put, rebuilt shards), a heap
 * buffer, a read-only heap buffer (a protobuf ByteString's view, which the JDK digests through
 * a copy), and a direct buffer; against a bare {@link MessageDigest} over the array.
 */
public class HashBenchmark extends Settings {

    @Param({"1048576", "262144"})
    public int bytes;

    private byte[] data;
    private ByteBuffer heap;
    private ByteBuffer direct;
    private MessageDigest digest;

    @Setup(Level.Trial)
    public void setUp() throws NoSuchAlgorithmException {
        data = new byte[bytes];
        new Random(7).nextBytes(data);
        heap = ByteBuffer.wrap(data);
        direct = ByteBuffer.allocateDirect(bytes).put(data).flip();
        digest = MessageDigest.getInstance("SHA-256");
    }

    @Benchmark
    public byte[] baselineMessageDigest() {
        return digest.digest(data);
    }

    @Benchmark
    public ContentId array() {
        return Sha256.of(data);
    }

    @Benchmark
    public ContentId heapBuffer() {
        return Sha256.of(heap.duplicate());
    }

    @Benchmark
    public ContentId readOnlyHeapBuffer() {
        return Sha256.of(heap.asReadOnlyBuffer());
    }

    @Benchmark
    public ContentId directBuffer() {
        return Sha256.of(direct.duplicate());
    }
}
