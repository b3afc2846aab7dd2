package io.shardmesh.it.repair;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.ManagedChannel;
import io.shardmesh.common.grpc.StreamFlow;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.proto.v1.FilesGetRequest;
import io.shardmesh.proto.v1.FilesGetResponse;
import io.shardmesh.proto.v1.FilesGrpc;
import io.shardmesh.proto.v1.FilesPutHeader;
import io.shardmesh.proto.v1.FilesPutRequest;
import io.shardmesh.proto.v1.FilesPutResponse;
import io.shardmesh.proto.v1.ReactorFilesGrpc;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Flux;

/**
 * Large files for a benchmark, never held in memory: Files.Put streams seeded random bytes frame
 * by frame (1 MiB frames) and hashes them on the way; Files.Get hashes what comes back.
 */
final class BulkFiles {

    /** Bytes per Files.Put data frame: the largest a frame may carry. */
    static final int FRAME = ProtocolLimits.FILE_FRAME_BYTES;

    private BulkFiles() {
    }

    /** What a put stored. */
    record Stored(String fileId, long size, String sha256, FilesPutResponse response) {
    }

    /** Files.Put of {@code size} bytes drawn from {@code seed}, through {@code via}, within {@code deadline}. */
    static Stored put(ManagedChannel via, String name, long size, long seed, int k, int m, int shardSize, Duration deadline) {
        MessageDigest md = sha256();
        SplittableRandom random = new SplittableRandom(seed);
        Flux<FilesPutRequest> data = Flux.generate(() -> 0L, (Long sent, reactor.core.publisher.SynchronousSink<FilesPutRequest> sink) -> {
            if (sent >= size) {
                sink.complete();
                return sent;
            }
            int n = (int) Math.min(FRAME, size - sent);
            byte[] frame = new byte[n];
            fill(random, frame);
            md.update(frame);
            sink.next(FilesPutRequest.newBuilder().setData(UnsafeByteOperations.unsafeWrap(frame)).build());
            return sent + n;
        });
        FilesPutRequest header = FilesPutRequest.newBuilder().setHeader(FilesPutHeader.newBuilder().setName(name).setK(k).setM(m)
                .setShardSize(shardSize)).build();
        FilesPutResponse r = StreamFlow.chunkStreams(ReactorFilesGrpc.newReactorStub(via))
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .put(Flux.concat(Flux.just(header), data))
                .block(deadline.plusSeconds(10));
        return new Stored(r.getFileId(), size, HexFormat.of().formatHex(md.digest()), r);
    }

    private static void fill(SplittableRandom random, byte[] b) {
        int i = 0;
        for (; i + 8 <= b.length; i += 8) {
            long v = random.nextLong();
            for (int j = 0; j < 8; j++) {
                b[i + j] = (byte) (v >>> (8 * j));
            }
        }
        long v = random.nextLong();
        for (; i < b.length; i++) {
            b[i] = (byte) v;
            v >>>= 8;
        }
    }

    /** What a Files.Get returned, hashed. */
    record Read(long bytes, String sha256) {
    }

    /** Files.Get of the whole file through {@code via}, hashed as it arrives. */
    static Read get(ManagedChannel via, String fileId, Duration deadline) {
        MessageDigest md = sha256();
        long n = 0;
        Iterator<FilesGetResponse> frames = FilesGrpc.newBlockingStub(via).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .get(FilesGetRequest.newBuilder().setFileId(fileId).build());
        while (frames.hasNext()) {
            ByteString d = frames.next().getData();
            d.asReadOnlyByteBufferList().forEach(md::update);
            n += d.size();
        }
        return new Read(n, HexFormat.of().formatHex(md.digest()));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
