package io.shardmesh.benchmarks;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.shardmesh.proto.v1.GetChunkResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * One GetChunk frame through protobuf, the steps a served frame takes: built around the stored
 * bytes (wrapping the array, wrapping a read-only buffer of it, or copying), serialised as gRPC
 * drains it, parsed back the way gRPC's default marshaller parses a
 * stream (copying the bytes field) and with aliasing (the field a view of the input), and the
 * data put into the shard array the reader fills. The baseline is one plain array copy of the
 * frame, the least a reader can do.
 */
public class FrameBenchmark extends Settings {

    /** A GetChunk frame's size, and the largest frame the protocol allows. */
    @Param({"262144", "1048576"})
    public int frameBytes;

    private byte[] stored;
    private byte[] wire;
    private byte[] shard;
    private ByteArrayOutputStream sink;

    @Setup(Level.Trial)
    public void setUp() {
        stored = new byte[frameBytes];
        new Random(3).nextBytes(stored);
        wire = frame(UnsafeByteOperations.unsafeWrap(stored)).toByteArray();
        shard = new byte[frameBytes];
        sink = new ByteArrayOutputStream(2 * frameBytes);
    }

    private GetChunkResponse frame(ByteString data) {
        return GetChunkResponse.newBuilder().setData(data).setOffset(0).setChunkSize(frameBytes).build();
    }

    @Benchmark
    public byte[] baselineArrayCopy() {
        System.arraycopy(stored, 0, shard, 0, frameBytes);
        return shard;
    }

    /** gRPC's marshaller drains a message into its framer with writeTo(OutputStream): the same here. */
    private ByteArrayOutputStream serialize(ByteString data) throws IOException {
        sink.reset();
        frame(data).writeTo(sink);
        return sink;
    }

    @Benchmark
    public ByteArrayOutputStream serializeWrappedArray() throws IOException {
        return serialize(UnsafeByteOperations.unsafeWrap(stored));
    }

    @Benchmark
    public ByteArrayOutputStream serializeWrappedReadOnlyBuffer() throws IOException {
        return serialize(UnsafeByteOperations.unsafeWrap(ByteBuffer.wrap(stored).asReadOnlyBuffer()));
    }

    @Benchmark
    public ByteArrayOutputStream serializeCopied() throws IOException {
        return serialize(ByteString.copyFrom(stored));
    }

    @Benchmark
    public byte[] parseStreamIntoShard() throws IOException {
        GetChunkResponse f = GetChunkResponse.parseFrom(new ByteArrayInputStream(wire));
        f.getData().copyTo(shard, 0);
        return shard;
    }

    @Benchmark
    public byte[] parseAliasedIntoShard() throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(wire);
        in.enableAliasing(true);
        GetChunkResponse f = GetChunkResponse.parseFrom(in);
        f.getData().copyTo(shard, 0);
        return shard;
    }
}
