package io.shardmesh.it.harness;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.shardmesh.common.grpc.StreamFlow;
import io.shardmesh.proto.v1.FilesGetRequest;
import io.shardmesh.proto.v1.FilesGetResponse;
import io.shardmesh.proto.v1.FilesGrpc;
import io.shardmesh.proto.v1.FilesPutHeader;
import io.shardmesh.proto.v1.FilesPutRequest;
import io.shardmesh.proto.v1.FilesPutResponse;
import io.shardmesh.proto.v1.FilesStatRequest;
import io.shardmesh.proto.v1.FilesStatResponse;
import io.shardmesh.proto.v1.ReactorFilesGrpc;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Flux;

/** The Files calls tests make through a node, each with a deadline. */
public final class FileCalls {

    /** Liveness bound of a test's calls: generous, the machine is shared. */
    public static final Duration DEADLINE = Duration.ofSeconds(30);

    private FileCalls() {
    }

    /** Files.Put of {@code data} with k data and m parity shards of {@code shardSize} bytes. */
    public static FilesPutResponse put(ManagedChannel via, byte[] data, String name, int k, int m, int shardSize) {
        List<FilesPutRequest> msgs = new ArrayList<>();
        msgs.add(FilesPutRequest.newBuilder().setHeader(FilesPutHeader.newBuilder().setName(name).setK(k).setM(m)
                .setShardSize(shardSize)).build());
        for (int off = 0; off < data.length; off += 7000) {
            msgs.add(FilesPutRequest.newBuilder().setData(ByteString.copyFrom(data, off, Math.min(7000, data.length - off))).build());
        }
        return StreamFlow.chunkStreams(ReactorFilesGrpc.newReactorStub(via))
                .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .put(Flux.fromIterable(msgs)).block(DEADLINE.plusSeconds(5));
    }

    public static FilesStatResponse stat(ManagedChannel via, String fileId) {
        return FilesGrpc.newBlockingStub(via).withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .stat(FilesStatRequest.newBuilder().setFileId(fileId).build());
    }

    /** What a Files.Get returned: every byte that arrived, and the failure it ended with (null: OK). */
    public record Read(byte[] bytes, StatusRuntimeException error) {
    }

    /** Files.Get, keeping whatever arrived before a failure. */
    public static Read get(ManagedChannel via, FilesGetRequest request) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Iterator<FilesGetResponse> frames = FilesGrpc.newBlockingStub(via)
                    .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).get(request);
            frames.forEachRemaining(f -> out.writeBytes(f.getData().toByteArray()));
            return new Read(out.toByteArray(), null);
        } catch (StatusRuntimeException e) {
            return new Read(out.toByteArray(), e);
        }
    }

    public static Read get(ManagedChannel via, String fileId) {
        return get(via, FilesGetRequest.newBuilder().setFileId(fileId).build());
    }
}
